namespace Pipeliner.Forges.Json;

/// <summary>
/// A payload lacks a field the event needs or has it in the wrong shape. Thrown only by <see cref="JsonPayload"/>
/// and caught by <see cref="WebhookParser"/>, so that the forge parsers read as a list of fields.
/// </summary>
internal sealed class InvalidPayloadException(string message) : Exception(message);

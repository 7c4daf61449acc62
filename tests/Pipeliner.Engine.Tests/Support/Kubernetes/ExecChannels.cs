using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Pipeliner.Engine.Tests.Support.Kubernetes;

/// <summary>
/// The API server's side of an exec WebSocket (<c>v4.channel.k8s.io</c>): binary messages whose first byte is the
/// channel (1 stdout, 2 stderr, 3 the final Status), then a close.
/// </summary>
internal static class ExecChannels
{
    public const string Protocol = "v4.channel.k8s.io";
    private const int ChunkSize = 16 * 1024;

    public static async Task AnswerAsync(HttpContext context, ExecResult result)
    {
        if (!context.WebSockets.WebSocketRequestedProtocols.Contains(Protocol))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"the client offered none of the protocols this fake speaks ({Protocol})");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(Protocol);
        await SendAsync(socket, 1, result.Stdout);
        await SendAsync(socket, 2, result.Stderr);
        var status = result.ExitCode == 0
            ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
            : new JsonObject
            {
                ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = $"command terminated with non-zero exit code: exit status {result.ExitCode}",
                ["reason"] = "NonZeroExitCode",
                ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) }) },
            };
        await SendAsync(socket, 3, System.Text.Encoding.UTF8.GetBytes(status.ToJsonString()));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    private static async Task SendAsync(WebSocket socket, byte channel, byte[] data)
    {
        for (var offset = 0; offset < data.Length; offset += ChunkSize)
        {
            var length = Math.Min(ChunkSize, data.Length - offset);
            var message = new byte[length + 1];
            message[0] = channel;
            Array.Copy(data, offset, message, 1, length);
            await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        }
    }
}

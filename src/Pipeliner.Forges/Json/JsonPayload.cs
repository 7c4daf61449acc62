using System.Text.Json;
using Pipeliner.Forges.Refs;

namespace Pipeliner.Forges.Json;

/// <summary>
/// A JSON object of a webhook payload, read by dotted paths (<c>pull_request.head.sha</c>). A required field that is
/// missing or of the wrong type throws <see cref="InvalidPayloadException"/> with a message naming it, such as
/// <c>push payload: missing 'after'</c>. Optional fields of the wrong type read as absent.
/// </summary>
internal readonly struct JsonPayload
{
    private readonly JsonElement _element;
    private readonly string _context;
    private readonly string _path;

    /// <param name="root">A JSON object.</param>
    /// <param name="context">What is being read, for messages: "push payload".</param>
    public JsonPayload(JsonElement root, string context)
        : this(root, context, path: "")
    {
        if (root.ValueKind != JsonValueKind.Object) throw new ArgumentException("A payload is a JSON object.", nameof(root));
    }

    private JsonPayload(JsonElement element, string context, string path)
    {
        _element = element;
        _context = context;
        _path = path;
    }

    public string RequiredString(string path)
    {
        var value = Required(path, JsonValueKind.String, "a string");
        if (!TryGetText(value, out var text)) throw Invalid($"'{Qualified(path)}' is not valid text");
        if (text.Length == 0) throw Invalid($"'{Qualified(path)}' is empty");
        return text;
    }

    public string? OptionalString(string path) =>
        Find(path) is { ValueKind: JsonValueKind.String } value && TryGetText(value, out var text) && text.Length > 0
            ? text
            : null;

    /// <summary>A commit hash: 7 to 64 hex digits.</summary>
    public string RequiredSha(string path)
    {
        var sha = RequiredString(path);
        return GitRefs.IsCommitSha(sha) ? sha : throw Invalid($"'{Qualified(path)}' is not a commit hash");
    }

    public string? OptionalSha(string path) => OptionalString(path) is { } sha && GitRefs.IsCommitSha(sha) ? sha : null;

    /// <summary>A branch, a tag or a full ref, which must be a valid git ref name (it ends up in git commands and paths).</summary>
    public string RequiredRefName(string path)
    {
        var name = RequiredString(path);
        return GitRefs.IsValidRefName(name) ? name : throw Invalid($"'{Qualified(path)}' is not a valid git ref name");
    }

    /// <summary>A pull request number or id.</summary>
    public int RequiredPositiveInt(string path)
    {
        var value = Required(path, JsonValueKind.Number, "a number");
        return value.TryGetInt32(out var number) && number > 0
            ? number
            : throw Invalid($"'{Qualified(path)}' is not a positive whole number");
    }

    public bool Has(string path) => Find(path) is { ValueKind: not JsonValueKind.Null };

    public long? OptionalLong(string path) =>
        Find(path) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var number) ? number : null;

    public bool OptionalBool(string path) => Find(path) is { ValueKind: JsonValueKind.True };

    /// <summary>An id that forges write as a number or a string, as text.</summary>
    public string? OptionalId(string path) => Find(path) switch
    {
        { ValueKind: JsonValueKind.Number } number => number.GetRawText(),
        { ValueKind: JsonValueKind.String } => OptionalString(path),
        _ => null,
    };

    public JsonPayload RequiredObject(string path) =>
        new(Required(path, JsonValueKind.Object, "an object"), _context, Qualified(path));

    public JsonPayload? OptionalObject(string path) =>
        Find(path) is { ValueKind: JsonValueKind.Object } value ? new JsonPayload(value, _context, Qualified(path)) : null;

    /// <summary>A field that must be present but may be <c>null</c> (Bitbucket's <c>"new": null</c> for a deleted ref).</summary>
    public JsonPayload? RequiredObjectOrNull(string path)
    {
        var value = Find(path) ?? throw Invalid($"missing '{Qualified(path)}'");
        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.Object => new JsonPayload(value, _context, Qualified(path)),
            _ => throw Invalid($"'{Qualified(path)}' is not an object"),
        };
    }

    /// <summary>The objects of a required array; an element that is not an object makes the payload invalid.</summary>
    public IReadOnlyList<JsonPayload> RequiredObjects(string path)
    {
        var array = Required(path, JsonValueKind.Array, "an array");
        var items = new List<JsonPayload>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            var itemPath = $"{Qualified(path)}[{items.Count}]";
            if (item.ValueKind != JsonValueKind.Object) throw Invalid($"'{itemPath}' is not an object");
            items.Add(new JsonPayload(item, _context, itemPath));
        }

        return items;
    }

    /// <summary>The objects of an array (other elements are skipped); null when the field is absent or not an array.</summary>
    public IReadOnlyList<JsonPayload>? OptionalObjects(string path)
    {
        if (Find(path) is not { ValueKind: JsonValueKind.Array } array) return null;
        var items = new List<JsonPayload>(array.GetArrayLength());
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object) items.Add(new JsonPayload(item, _context, $"{Qualified(path)}[{index}]"));
            index++;
        }

        return items;
    }

    /// <summary>The strings of an array (other elements are skipped); null when the field is absent or not an array.</summary>
    public IReadOnlyList<string>? OptionalStrings(string path)
    {
        if (Find(path) is not { ValueKind: JsonValueKind.Array } array) return null;
        var items = new List<string>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && TryGetText(item, out var text)) items.Add(text);
        }

        return items;
    }

    public InvalidPayloadException Invalid(string message) => new($"{_context}: {message}");

    private string Qualified(string path) => _path.Length == 0 ? path : $"{_path}.{path}";

    private JsonElement Required(string path, JsonValueKind kind, string description)
    {
        var names = path.Split('.');
        var current = _element;
        for (var i = 0; i < names.Length; i++)
        {
            var walked = Qualified(string.Join('.', names, 0, i + 1));
            if (!current.TryGetProperty(names[i], out current) || current.ValueKind == JsonValueKind.Null)
                throw Invalid($"missing '{walked}'");
            if (i < names.Length - 1 && current.ValueKind != JsonValueKind.Object) throw Invalid($"'{walked}' is not an object");
        }

        return current.ValueKind == kind ? current : throw Invalid($"'{Qualified(path)}' is not {description}");
    }

    private JsonElement? Find(string path)
    {
        var current = _element;
        foreach (var name in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current)) return null;
        }

        return current;
    }

    // A string may hold escaped lone surrogates ("\ud800"), which are not text; GetString throws on them.
    private static bool TryGetText(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString() ?? "";
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }
}

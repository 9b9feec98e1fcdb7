using System.Globalization;
using System.Text;
using System.Text.Json;
using Sync.Core;

namespace Sync.Components.Import;

/// <summary>
/// Streams the contacts of a snapshot file, one <see cref="SnapshotRecord"/> at a time, holding only the record being
/// read: JSON lines (one object a line; a <c>customFields</c> object or the export's <c>[{id, value}]</c> array is
/// read as <c>customFields.&lt;key&gt;</c> columns) or RFC 4180 CSV (a header row; fields quoted with <c>"</c> may hold
/// commas, doubled quotes and line breaks; CR LF or LF line ends; blank lines skipped). Tags in a CSV cell (or a JSON
/// string) are separated by <c>;</c> or <c>|</c>. A bad row is a record with its line and reason and the reading goes
/// on; a file that cannot be read at all (no header, an unknown <c>--map</c> column, two columns for one field) throws
/// <see cref="SnapshotFileException"/> before any row.
/// </summary>
public sealed class SnapshotReader : IDisposable
{
    private static readonly char[] TagSeparators = [';', '|'];

    private readonly FileStream _stream;
    private readonly StreamReader _reader;
    private readonly SnapshotMapping _mapping;
    private readonly SortedSet<string> _ignored = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _jsonFields = new(StringComparer.Ordinal);
    private string?[] _csvFields = [];
    private int _line;
    private bool _started;

    private SnapshotReader(FileStream stream, SnapshotFormat format, SnapshotMapping mapping)
    {
        _stream = stream;
        _reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);
        Format = format;
        _mapping = mapping;
    }

    /// <summary>The file's format.</summary>
    public SnapshotFormat Format { get; }

    /// <summary>True when a CSV header has a tags column (JSON lines: per row, see <see cref="SnapshotRow.Tags"/>).</summary>
    public bool HasTagsColumn { get; private set; }

    /// <summary>Columns seen that feed no field, ignored.</summary>
    public IReadOnlyCollection<string> IgnoredColumns => _ignored;

    /// <summary>How far into the file the reading is, in bytes (for a progress bar).</summary>
    public long Position => _stream.Position;

    /// <summary>The file's length in bytes.</summary>
    public long Length => _stream.Length;

    /// <summary>The format a file's extension names: <c>.jsonl</c>/<c>.ndjson</c> or <c>.csv</c>; null for any other.</summary>
    public static SnapshotFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" or ".ndjson" => SnapshotFormat.JsonLines,
        ".csv" => SnapshotFormat.Csv,
        _ => null,
    };

    /// <summary>
    /// Opens a snapshot file and, for CSV, reads and checks its header against <paramref name="mapping"/>.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="format">Its format; null: from the extension.</param>
    /// <param name="mapping">Which column feeds which field.</param>
    /// <exception cref="SnapshotFileException">The file is missing, unreadable, of an unknown kind, or its header is unusable.</exception>
    public static SnapshotReader Open(string path, SnapshotFormat? format, SnapshotMapping mapping)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(mapping);
        var kind = format ?? FormatOf(path)
            ?? throw new SnapshotFileException($"{path}: unknown kind of file '{Path.GetExtension(path)}' (use .jsonl or .csv, or --format jsonl|csv).");
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotFileException($"{path}: cannot be read ({(ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex.Message)}).", ex);
        }

        var reader = new SnapshotReader(stream, kind, mapping);
        try
        {
            if (kind == SnapshotFormat.Csv)
            {
                reader.ReadHeader();
            }

            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>The file's records, in order; may be enumerated once.</summary>
    public IEnumerable<SnapshotRecord> Records()
    {
        if (_started)
        {
            throw new InvalidOperationException("A snapshot is read once.");
        }

        _started = true;
        return Format == SnapshotFormat.Csv ? CsvRecords() : JsonRecords();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
    }

    // ------------------------------------------------------------------ CSV

    private void ReadHeader()
    {
        var header = NextCsvRecord();
        if (header is null)
        {
            throw new SnapshotFileException("the CSV file is empty: it needs a header row naming the columns (e.g. email,phone,firstName,tags).", 1);
        }

        var (line, cells, error) = header.Value;
        if (error is not null || cells is null)
        {
            throw new SnapshotFileException($"the header row cannot be read: {error}.", line);
        }

        var names = cells.Select(c => c.Trim()).ToList();
        var duplicate = names.Where(n => n.Length > 0).GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new SnapshotFileException($"the header names the column '{duplicate.Key}' twice.", line);
        }

        foreach (var column in _mapping.ExplicitColumns)
        {
            if (!names.Contains(column, StringComparer.Ordinal))
            {
                throw new SnapshotFileException($"--map names the column '{column}', which the header does not have (it has: {string.Join(", ", names)}).", line);
            }
        }

        _csvFields = new string?[names.Count];
        var fed = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var field = names[i].Length == 0 ? null : _mapping.FieldOf(names[i]);
            if (field is null)
            {
                if (names[i].Length > 0)
                {
                    _ignored.Add(names[i]);
                }

                continue;
            }

            if (!fed.TryAdd(field, names[i]))
            {
                throw new SnapshotFileException($"the columns '{fed[field]}' and '{names[i]}' both feed the field {field}; --map one of them to another field.", line);
            }

            _csvFields[i] = field;
        }

        HasTagsColumn = fed.ContainsKey(SnapshotMapping.TagsField);
        if (!fed.ContainsKey("email") && !fed.ContainsKey("phone"))
        {
            throw new SnapshotFileException(
                $"no column feeds email or phone, which every contact needs (columns: {string.Join(", ", names)}); name one with --map column=email.", line);
        }
    }

    private IEnumerable<SnapshotRecord> CsvRecords()
    {
        while (NextCsvRecord() is var (line, cells, error))
        {
            if (error is not null || cells is null)
            {
                yield return new SnapshotRecord(line, null, error);
                continue;
            }

            if (cells.Count != _csvFields.Length)
            {
                yield return new SnapshotRecord(line, null, $"{cells.Count} field(s) where the header has {_csvFields.Length}");
                continue;
            }

            var values = new List<(string Field, object Value)>(cells.Count);
            for (var i = 0; i < cells.Count; i++)
            {
                if (_csvFields[i] is { } field && cells[i].Length > 0)
                {
                    values.Add((field, field == SnapshotMapping.TagsField ? SplitTags(cells[i]) : new SnapshotValue(cells[i], SnapshotValueKind.String)));
                }
                else if (_csvFields[i] == SnapshotMapping.TagsField)
                {
                    values.Add((SnapshotMapping.TagsField, Array.Empty<string>()));
                }
            }

            yield return Build(line, values);
        }
    }

    /// <summary>
    /// The next record: the line it starts on and its fields, or a reason it is malformed (then the rest of its line is
    /// skipped). Null at the end of the file. Blank lines are skipped.
    /// </summary>
    private (int Line, List<string>? Cells, string? Error)? NextCsvRecord()
    {
        var cells = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var quoted = false;
        var afterQuote = false;
        string? error = null;
        var recordLine = _line + 1;
        var any = false;
        int read;
        while ((read = _reader.Read()) != -1)
        {
            var c = (char)read;
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (_reader.Peek() == '"')
                    {
                        _reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        inQuotes = false;
                        afterQuote = true;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        _line++;
                    }

                    field.Append(c);
                }

                continue;
            }

            if (c == '\r')
            {
                if (_reader.Peek() == '\n')
                {
                    continue;
                }

                c = '\n';
            }

            if (c == '\n')
            {
                _line++;
                if (!any && field.Length == 0 && !quoted && error is null)
                {
                    recordLine = _line + 1; // a blank line
                    continue;
                }

                cells.Add(field.ToString());
                return (recordLine, error is null ? cells : null, error);
            }

            any = true;
            if (c == ',')
            {
                cells.Add(field.ToString());
                field.Clear();
                quoted = afterQuote = false;
            }
            else if (afterQuote)
            {
                error ??= "text after a closing quote (a quote inside a field is written as two quotes)";
            }
            else if (c == '"')
            {
                if (field.Length == 0 && !quoted)
                {
                    inQuotes = quoted = true;
                }
                else
                {
                    error ??= "a quote inside a field that does not start with one (quote the whole field and double the quote)";
                }
            }
            else
            {
                field.Append(c);
            }
        }

        if (inQuotes)
        {
            _line++;
            return (recordLine, null, "a quoted field is not closed before the end of the file");
        }

        if (!any && field.Length == 0 && !quoted && error is null)
        {
            return null;
        }

        _line++;
        cells.Add(field.ToString());
        return (recordLine, error is null ? cells : null, error);
    }

    // ------------------------------------------------------------------ JSON lines

    private IEnumerable<SnapshotRecord> JsonRecords()
    {
        while (_reader.ReadLine() is { } text)
        {
            var line = ++_line;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            yield return ReadJsonLine(line, text);
        }
    }

    private SnapshotRecord ReadJsonLine(int line, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            return new SnapshotRecord(line, null, $"not JSON ({FirstSentence(ex.Message)})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new SnapshotRecord(line, null, "not a JSON object");
            }

            var values = new List<(string Field, object Value)>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("customFields") && _mapping.FieldOf("customFields") is null &&
                    property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                {
                    if (ReadCustomFields(property.Value, values) is { } customError)
                    {
                        return new SnapshotRecord(line, null, customError);
                    }

                    continue;
                }

                if (ColumnField(property.Name) is not { } field)
                {
                    continue;
                }

                if (ReadValue(field, property.Name, property.Value, values) is { } valueError)
                {
                    return new SnapshotRecord(line, null, valueError);
                }
            }

            return Build(line, values);
        }
    }

    private string? ColumnField(string column)
    {
        if (!_jsonFields.TryGetValue(column, out var field))
        {
            field = _mapping.FieldOf(column);
            if (_jsonFields.Count < 1000)
            {
                _jsonFields[column] = field;
            }

            if (field is null && _ignored.Count < 100)
            {
                _ignored.Add(column);
            }
        }

        return field;
    }

    private string? ReadCustomFields(JsonElement element, List<(string Field, object Value)> values)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in element.EnumerateObject())
            {
                if (ColumnField(SnapshotMapping.CustomFieldPrefix + entry.Name) is { } field &&
                    ReadValue(field, "customFields." + entry.Name, entry.Value, values) is { } error)
                {
                    return error;
                }
            }

            return null;
        }

        // The API's (and contacts export's) shape: [{"id": "<fieldKey>", "value": …}].
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String ||
                !item.TryGetProperty("value", out var value))
            {
                return "customFields must be an object of values or an array of {id, value}";
            }

            if (ColumnField(SnapshotMapping.CustomFieldPrefix + id.GetString()) is { } field &&
                ReadValue(field, "customFields." + id.GetString(), value, values) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static string? ReadValue(string field, string column, JsonElement value, List<(string Field, object Value)> values)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                if (field == SnapshotMapping.TagsField)
                {
                    values.Add((field, Array.Empty<string>()));
                }

                return null;
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (field == SnapshotMapping.TagsField)
                {
                    values.Add((field, SplitTags(text)));
                }
                else if (text.Length > 0)
                {
                    values.Add((field, new SnapshotValue(text, SnapshotValueKind.String)));
                }

                return null;
            case JsonValueKind.Number:
                values.Add((field, new SnapshotValue(value.GetRawText(), SnapshotValueKind.Number)));
                return null;
            case JsonValueKind.True or JsonValueKind.False:
                values.Add((field, new SnapshotValue(value.ValueKind == JsonValueKind.True ? "true" : "false", SnapshotValueKind.Boolean)));
                return null;
            case JsonValueKind.Array when field == SnapshotMapping.TagsField:
                var tags = new List<string>();
                foreach (var tag in value.EnumerateArray())
                {
                    if (tag.ValueKind != JsonValueKind.String)
                    {
                        return $"{column} must hold only strings";
                    }

                    tags.Add(tag.GetString()!);
                }

                values.Add((field, tags));
                return null;
            default:
                return $"{column} holds {(value.ValueKind == JsonValueKind.Array ? "an array" : "an object")}, not a value";
        }
    }

    // ------------------------------------------------------------------ both

    private static string[] SplitTags(string cell) => cell.Split(TagSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static SnapshotRecord Build(int line, List<(string Field, object Value)> values)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var custom = new Dictionary<string, SnapshotValue>(StringComparer.Ordinal);
        IReadOnlyList<string>? tags = null;
        DateTimeOffset? occurredAt = null;
        foreach (var (field, value) in values)
        {
            if (field == SnapshotMapping.TagsField)
            {
                tags = ContactKeys.NormalizeTags((IEnumerable<string>)value);
            }
            else if (field == SnapshotMapping.OccurredAtField)
            {
                var text = ((SnapshotValue)value).Text;
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) || !HasOffset(text))
                {
                    return new SnapshotRecord(line, null, "occurredAt is not an ISO-8601 date-time with an offset (e.g. 2026-11-26T12:00:00Z)");
                }

                occurredAt = at;
            }
            else if (field.StartsWith(SnapshotMapping.CustomFieldPrefix, StringComparison.Ordinal))
            {
                custom[field[SnapshotMapping.CustomFieldPrefix.Length..]] = (SnapshotValue)value;
            }
            else
            {
                var text = ((SnapshotValue)value).Text.Trim();
                if (text.Length > 0)
                {
                    fields[field] = text;
                }
            }
        }

        if (fields.TryGetValue("email", out var email) && !LooksLikeEmail(email))
        {
            return new SnapshotRecord(line, null, "email is not an address (one @, a name before it, a domain with a dot after it, no spaces)");
        }

        if (fields.TryGetValue("phone", out var phone) && ContactKeys.NormalizePhone(phone) is not { Length: >= 4 })
        {
            return new SnapshotRecord(line, null, "phone has too few digits");
        }

        if (!fields.ContainsKey("email") && !fields.ContainsKey("phone"))
        {
            return new SnapshotRecord(line, null, fields.ContainsKey("externalId")
                ? "only an externalId: the CRM matches an upsert by email or phone, so the row needs one of them"
                : "no email, phone or externalId");
        }

        return new SnapshotRecord(line, new SnapshotRow(line, fields, custom, tags, occurredAt), null);
    }

    private static bool HasOffset(string text)
    {
        var t = text.Trim();
        return t.EndsWith('Z') || t.EndsWith('z') || (t.Length > 6 && t[^6] is '+' or '-' && t[^3] == ':');
    }

    private static bool LooksLikeEmail(string email)
    {
        var at = email.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == email.LastIndexOf('@') && email.IndexOf('.', at) > at + 1 && !email.EndsWith('.') &&
               !email.Any(char.IsWhiteSpace) && email.Length <= 320;
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}

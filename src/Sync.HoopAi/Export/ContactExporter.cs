using System.Text.Json;
using System.Text.Json.Serialization;
using Sync.HoopAi.Api;

namespace Sync.HoopAi.Export;

/// <summary>What an export was asked for: it must match to resume an export left unfinished.</summary>
/// <param name="LocationId">The location whose contacts are written.</param>
/// <param name="Mode">The listing read.</param>
/// <param name="Fields">The contact fields written (top-level names as the API spells them); empty: every field.</param>
/// <param name="PageSize">Contacts per API call.</param>
/// <param name="BudgetShare">The share of the location's burst budget the export may use (1: as any call).</param>
public sealed record ContactExportRequest(string LocationId, ContactPagingMode Mode, IReadOnlyList<string> Fields, int PageSize, double BudgetShare = 1.0);

/// <summary>The outcome of an export.</summary>
/// <param name="Written">Contacts in the file.</param>
/// <param name="ResumedAfter">When an unfinished export was resumed: the contacts it had written; otherwise null.</param>
/// <param name="Pages">API calls made by this run.</param>
public sealed record ContactExportResult(long Written, long? ResumedAfter, int Pages);

/// <summary>
/// Writes every contact of a location to a JSON-lines file, one contact a line, resumable after a crash. Beside the file,
/// <c>FILE.cursor</c> records after each page the cursor to resume after it, the file's length and the count, written
/// only once the page's lines are flushed to disk (and replaced atomically). A new run over the same file with the same
/// request resumes: it cuts the file back to the recorded length (dropping any page, or part of a line, written after the
/// last record) and reads on from the recorded cursor, so no contact is written twice or skipped. The record is removed
/// when the export is complete.
/// </summary>
public sealed class ContactExporter(HoopAiClient client)
{
    /// <summary>The suffix of the resume record beside the output file.</summary>
    public const string CursorSuffix = ".cursor";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly byte[] NewLine = "\n"u8.ToArray();

    // Values as the API sent them (a phone's "+" stays "+"), one line each.
    private static readonly JsonWriterOptions LineOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The resume record of an export to <paramref name="outputPath"/>.</summary>
    public static string CursorPath(string outputPath) => outputPath + CursorSuffix;

    /// <summary>
    /// Exports, resuming an unfinished export of the same request to the same file unless <paramref name="restart"/>.
    /// </summary>
    /// <exception cref="ContactExportMismatchException">An unfinished export of another request is recorded for the file.</exception>
    public async Task<ContactExportResult> ExportAsync(
        ContactExportRequest request, string outputPath, bool restart, IProgress<ContactReadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        var cursorPath = CursorPath(outputPath);
        var recorded = restart ? null : await ReadRecordAsync(cursorPath, cancellationToken);
        if (recorded is not null && !recorded.Matches(request))
        {
            throw new ContactExportMismatchException(
                $"{outputPath} holds an unfinished export of location {recorded.LocationId} ({recorded.Mode}, fields {FieldList(recorded.Fields)}); " +
                "export with the same options to resume it, or restart it.");
        }

        if (recorded is not null && (!File.Exists(outputPath) || new FileInfo(outputPath).Length < recorded.Bytes))
        {
            throw new ContactExportMismatchException(
                $"{outputPath} is shorter than its unfinished export recorded ({recorded.Bytes} bytes): it was changed since; restart the export.");
        }

        var fields = request.Fields.Count == 0 ? null : request.Fields.ToHashSet(StringComparer.Ordinal);
        await using var file = new FileStream(outputPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1 << 16);
        var record = recorded ?? new ExportRecord(request.LocationId, request.Mode, [.. request.Fields], request.PageSize, null, 0, 0);
        file.SetLength(record.Bytes);
        file.Position = record.Bytes;
        if (recorded is null)
        {
            await WriteRecordAsync(cursorPath, record, cancellationToken);
        }

        var options = new ContactPagingOptions
        {
            Mode = request.Mode,
            PageSize = request.PageSize,
            BudgetShare = request.BudgetShare,
            StartAfter = record.Cursor is { } stored ? ContactCursor.Parse(stored) : null,
        };
        var pages = 0;
        var line = new ArrayBufferWriterStream();
        progress?.Report(new ContactReadProgress(record.Count, null));
        await foreach (var page in client.ReadContactPagesAsync(request.LocationId, options, cancellationToken))
        {
            pages++;
            foreach (var contact in page.Contacts)
            {
                line.Reset();
                WriteContact(line, contact.Json, fields);
                await file.WriteAsync(line.Written, cancellationToken);
                await file.WriteAsync(NewLine, cancellationToken);
            }

            // The lines are on disk before the record says so: a crash between the two only repeats this page.
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
            record = record with { Cursor = page.Cursor?.Serialize() ?? record.Cursor, Bytes = file.Position, Count = record.Count + page.Contacts.Count };
            await WriteRecordAsync(cursorPath, record, cancellationToken);
            progress?.Report(new ContactReadProgress(record.Count, page.Total));
        }

        File.Delete(cursorPath);
        return new ContactExportResult(record.Count, recorded?.Count, pages);
    }

    private static void WriteContact(Stream output, JsonElement contact, HashSet<string>? fields)
    {
        using var writer = new Utf8JsonWriter(output, LineOptions);
        writer.WriteStartObject();
        foreach (var property in contact.EnumerateObject())
        {
            // searchAfter is the listing's cursor, not a field of the contact.
            if (fields is null ? property.NameEquals("searchAfter") : !fields.Contains(property.Name))
            {
                continue;
            }

            property.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private static string FieldList(IReadOnlyList<string> fields) => fields.Count == 0 ? "all" : string.Join(',', fields);

    private static async Task<ExportRecord?> ReadRecordAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ExportRecord>(await File.ReadAllTextAsync(path, cancellationToken), Json);
        }
        catch (JsonException ex)
        {
            throw new ContactExportMismatchException($"{path} is not a readable export record ({ex.Message}); restart the export.");
        }
    }

    private static async Task WriteRecordAsync(string path, ExportRecord record, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await stream.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(record, Json), cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private sealed record ExportRecord(string LocationId, ContactPagingMode Mode, string[] Fields, int PageSize, string? Cursor, long Bytes, long Count)
    {
        public bool Matches(ContactExportRequest request) =>
            LocationId == request.LocationId && Mode == request.Mode && Fields.SequenceEqual(request.Fields, StringComparer.Ordinal);
    }

    // A reusable in-memory stream for one line.
    private sealed class ArrayBufferWriterStream : MemoryStream
    {
        public ReadOnlyMemory<byte> Written => GetBuffer().AsMemory(0, (int)Length);

        public void Reset() => SetLength(0);
    }
}

/// <summary>An unfinished export recorded for the output file was asked for with other options.</summary>
public sealed class ContactExportMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ContactExportMismatchException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ContactExportMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ContactExportMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

using Sync.Core;

namespace Sync.Components.Import;

/// <summary>The files <see cref="SnapshotReader"/> reads.</summary>
public enum SnapshotFormat
{
    /// <summary>JSON lines (<c>.jsonl</c>, <c>.ndjson</c>): one JSON object a line.</summary>
    JsonLines,

    /// <summary>RFC 4180 CSV (<c>.csv</c>) with a header row.</summary>
    Csv,
}

/// <summary>What kind of JSON value a custom field's value is (CSV cells are always strings).</summary>
public enum SnapshotValueKind
{
    /// <summary>A string.</summary>
    String,

    /// <summary>A number, kept as written.</summary>
    Number,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,
}

/// <summary>A custom field's value as the snapshot gave it.</summary>
/// <param name="Text">The value as text (a number as written, a boolean as <c>true</c>/<c>false</c>).</param>
/// <param name="Kind">Its JSON kind.</param>
public readonly record struct SnapshotValue(string Text, SnapshotValueKind Kind);

/// <summary>One contact of a snapshot file, checked: it has an email or a phone.</summary>
public sealed class SnapshotRow
{
    internal SnapshotRow(
        int line,
        IReadOnlyDictionary<string, string> fields,
        IReadOnlyDictionary<string, SnapshotValue> customFields,
        IReadOnlyList<string>? tags,
        DateTimeOffset? occurredAt)
    {
        Line = line;
        Fields = fields;
        CustomFields = customFields;
        Tags = tags;
        OccurredAt = occurredAt;
        Email = ContactKeys.NormalizeEmail(fields.GetValueOrDefault("email"));
        Phone = ContactKeys.NormalizePhone(fields.GetValueOrDefault("phone"));
    }

    /// <summary>The file's line the row starts on (1 is the first line; a CSV header is line 1).</summary>
    public int Line { get; }

    /// <summary>The contact's text fields that were given (not empty), by the names of <see cref="SnapshotMapping.ContactFields"/>.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; }

    /// <summary>Custom field values by field key.</summary>
    public IReadOnlyDictionary<string, SnapshotValue> CustomFields { get; }

    /// <summary>The contact's tags, normalised; null when the snapshot has no tags column (or this JSON line no tags).</summary>
    public IReadOnlyList<string>? Tags { get; }

    /// <summary>When the row's state held, from a mapped column; null when none was given.</summary>
    public DateTimeOffset? OccurredAt { get; }

    /// <summary>The email, normalised (trimmed, lowercased); null when none.</summary>
    public string? Email { get; }

    /// <summary>The phone, normalised; null when none.</summary>
    public string? Phone { get; }

    /// <summary>What identifies the contact: its email, else its phone.</summary>
    public string Key => Email is not null ? "email:" + Email : "phone:" + Phone;
}

/// <summary>One record of a snapshot file: a row, or the reason it was rejected.</summary>
/// <param name="Line">The line the record starts on.</param>
/// <param name="Row">The row, when it is usable.</param>
/// <param name="Rejection">Why it is not, when it is not.</param>
public sealed record SnapshotRecord(int Line, SnapshotRow? Row, string? Rejection);

/// <summary>A rejected row: its line and why.</summary>
/// <param name="Line">The line the row starts on.</param>
/// <param name="Reason">Why it was rejected (never the row's data).</param>
public sealed record RejectedRow(int Line, string Reason);

/// <summary>A snapshot file that cannot be read at all; the message names the problem and, where it applies, the line.</summary>
public sealed class SnapshotFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SnapshotFileException(string message, int? line = null)
        : base(line is { } at ? $"line {at}: {message}" : message) => Line = line;

    /// <summary>Creates the exception.</summary>
    public SnapshotFileException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SnapshotFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The line the problem is on, when it is on one.</summary>
    public int? Line { get; }
}

using System.Globalization;

namespace Sync.Core;

/// <summary>
/// A call slot of a location's shared API schedule, reserved ahead for one message: the message waits for it in the
/// broker's wait queues rather than in a consumer, and its first API call of that location uses it without reserving
/// again.
/// </summary>
/// <param name="LocationId">The location whose schedule holds the slot.</param>
/// <param name="At">When the slot comes.</param>
public sealed record ApiSlot(string LocationId, DateTimeOffset At)
{
    /// <summary>The header form: <c>&lt;location&gt; &lt;ISO-8601 UTC time&gt;</c>.</summary>
    public string Format() => $"{LocationId} {At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}";

    /// <summary>Reads <see cref="Format"/>'s form; false for anything else.</summary>
    public static bool TryParse(string? text, out ApiSlot? slot)
    {
        slot = null;
        var space = text?.LastIndexOf(' ') ?? -1;
        if (space <= 0 || !DateTimeOffset.TryParse(text![(space + 1)..], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at))
        {
            return false;
        }

        slot = new ApiSlot(text[..space], at);
        return true;
    }
}

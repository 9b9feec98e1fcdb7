using System.Globalization;
using System.Text.RegularExpressions;

namespace Sync.Benchmarks;

/// <summary>
/// The per-stage breakdown of one event, read from a worker's <c>sync_worker_stage_duration_seconds</c> histogram
/// (its <c>_sum</c> ÷ <c>_count</c> per consumer and stage).
/// </summary>
internal static partial class StageBreakdown
{
    public sealed record Stage(string Consumer, string Name, long Count, double MeanMilliseconds);

    public static IReadOnlyList<Stage> Parse(string metrics)
    {
        var sums = new Dictionary<(string, string), double>();
        var counts = new Dictionary<(string, string), long>();
        foreach (Match m in Line().Matches(metrics))
        {
            var labels = m.Groups["labels"].Value;
            var consumer = Label(labels, "consumer");
            var stage = Label(labels, "stage");
            if (consumer is null || stage is null)
            {
                continue;
            }

            var value = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            if (m.Groups["kind"].Value == "sum")
            {
                sums[(consumer, stage)] = sums.GetValueOrDefault((consumer, stage)) + value;
            }
            else
            {
                counts[(consumer, stage)] = counts.GetValueOrDefault((consumer, stage)) + (long)value;
            }
        }

        return [.. counts.Where(c => c.Value > 0)
            .Select(c => new Stage(c.Key.Item1, c.Key.Item2, c.Value, sums.GetValueOrDefault(c.Key) / c.Value * 1000))];
    }

    /// <summary>What was recorded between two readings of the same process.</summary>
    public static IReadOnlyList<Stage> Between(IReadOnlyList<Stage> start, IReadOnlyList<Stage> end)
    {
        var before = start.ToDictionary(s => (s.Consumer, s.Name));
        return [.. end.Select(e =>
            {
                if (!before.TryGetValue((e.Consumer, e.Name), out var b))
                {
                    return e;
                }

                var count = e.Count - b.Count;
                var sum = (e.MeanMilliseconds * e.Count) - (b.MeanMilliseconds * b.Count);
                return new Stage(e.Consumer, e.Name, count, count > 0 ? sum / count : 0);
            })
            .Where(s => s.Count > 0)];
    }

    /// <summary>The breakdown as a markdown table, in the order the stages run.</summary>
    public static string ToMarkdown(IReadOnlyList<Stage> stages)
    {
        string[] order = ["pipeline", "receive", "inbox-check", "normalise", "custom-fields", "begin", "inbox-mark", "guard", "inbox-mark+guard", "api", "token", "rate-limit", "http", "index", "outbox", "commit", "index+commit"];
        if (stages.Count == 0)
        {
            return "(no stages recorded between the two readings: the measured stretch was too short)";
        }

        var lines = new List<string> { "| consumer | stage | count | mean ms |", "|---|---|---|---|" };
        foreach (var s in stages.OrderBy(s => s.Consumer, StringComparer.Ordinal).ThenBy(s => Array.IndexOf(order, s.Name) is var i and >= 0 ? i : 99))
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"| {s.Consumer} | {s.Name} | {s.Count:N0} | {s.MeanMilliseconds:0.00} |"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static string? Label(string labels, string name)
    {
        var m = Regex.Match(labels, name + "=\"([^\"]*)\"", RegexOptions.CultureInvariant);
        return m.Success ? m.Groups[1].Value : null;
    }

    [GeneratedRegex(@"^sync_worker_stage_duration_seconds_(?<kind>sum|count)\{(?<labels>[^}]*)\}\s+(?<value>\S+)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex Line();
}

using System.Globalization;
using Sync.HoopAi.Api;

namespace Sync.Admin;

/// <summary>
/// Progress of long work on standard error: a bar redrawn in place at a terminal, otherwise a line at each tenth of the
/// total (or every 10,000 items when the total is unknown), so logs of scripted runs stay short.
/// </summary>
internal sealed class ProgressBar(AdminConsole console, string unit) : IProgress<ContactReadProgress>
{
    private const int Width = 30;
    private long _lastReportedStep = -1;
    private bool _drawn;

    public void Report(ContactReadProgress value) => Report(value.Read, value.Total);

    public void Report(long done, int? total)
    {
        if (console.OutputIsTerminal)
        {
            var filled = total is > 0 ? (int)Math.Min(Width, done * Width / total.Value) : 0;
            var bar = total is > 0 ? $"[{new string('#', filled)}{new string('.', Width - filled)}] " : "";
            console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r{bar}{done:N0}{(total is { } t ? $" of {t:N0}" : "")} {unit}   "));
            _drawn = true;
            return;
        }

        var step = total is > 0 ? done * 10 / total.Value : done / 10_000;
        if (step == _lastReportedStep || done == 0)
        {
            return;
        }

        _lastReportedStep = step;
        console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{done:N0}{(total is { } all ? $" of {all:N0}" : "")} {unit}{(total is > 0 ? $" ({Math.Min(100, done * 100 / total.Value)}%)" : "")}"));
    }

    /// <summary>Progress known as a share of the work (e.g. of a file's bytes) while <paramref name="done"/> counts the items.</summary>
    public void ReportFraction(long done, double fraction)
    {
        fraction = Math.Clamp(fraction, 0, 1);
        if (console.OutputIsTerminal)
        {
            var filled = (int)(fraction * Width);
            console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r[{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100:0}% {done:N0} {unit}   "));
            _drawn = true;
            return;
        }

        var step = (long)(fraction * 10);
        if (step == _lastReportedStep || done == 0)
        {
            return;
        }

        _lastReportedStep = step;
        console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{done:N0} {unit} ({fraction * 100:0}%)"));
    }

    public void Done()
    {
        if (_drawn)
        {
            console.Error.WriteLine();
            _drawn = false;
        }
    }
}

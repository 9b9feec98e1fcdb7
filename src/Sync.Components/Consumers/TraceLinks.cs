using System.Diagnostics;
using MassTransit;
using MassTransit.Logging;

namespace Sync.Components.Consumers;

/// <summary>The trace contexts of the messages of a batch, as MassTransit carried them in their headers.</summary>
internal static class TraceLinks
{
    /// <summary>The trace context of <paramref name="message"/>'s producer, or default when it carried none.</summary>
    public static ActivityContext ContextOf(ConsumeContext message) =>
        message.Headers.Get<string>(DiagnosticHeaders.ActivityId) is { Length: > 0 } id && ActivityContext.TryParse(id, null, out var context)
            ? context
            : default;

    /// <summary>A link to each message's trace (messages that carried none are left out).</summary>
    public static IEnumerable<ActivityLink> Of<T>(IEnumerable<ConsumeContext<T>> messages)
        where T : class =>
        messages.Select(m => ContextOf(m)).Where(c => c != default).Select(c => new ActivityLink(c)).ToList();
}

using Sync.Sandbox.Contacts;
using Sync.Sandbox.Limits;

namespace Sync.Sandbox;

/// <summary>Everything the sandbox holds, with the handles tests use to read it and to change limits and faults.</summary>
public sealed class SandboxState
{
    /// <summary>Creates the state from options.</summary>
    public SandboxState(SandboxOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        time ??= TimeProvider.System;
        Tokens = new TokenStore(options, time);
        Contacts = new ContactStore(time, options.DuplicatePriority);
        CustomFields = new CustomFieldStore();
        Limits = new RateLimiter(options.RateLimit, time);
        Faults = new FaultInjector(options.Faults, time);
        Requests = new RequestCounter();
    }

    /// <summary>The options the sandbox started with.</summary>
    public SandboxOptions Options { get; }

    /// <summary>Tokens, codes and installations.</summary>
    public TokenStore Tokens { get; }

    /// <summary>Contacts of every location.</summary>
    public ContactStore Contacts { get; }

    /// <summary>Custom field definitions of every location.</summary>
    public CustomFieldStore CustomFields { get; }

    /// <summary>Rate limits in force.</summary>
    public RateLimiter Limits { get; }

    /// <summary>Faults in force.</summary>
    public FaultInjector Faults { get; }

    /// <summary>Calls counted per route and status.</summary>
    public RequestCounter Requests { get; }

    /// <summary>Wipes contacts, custom field definitions, tokens, budgets and counts; limits and faults go back to the start options.</summary>
    public void Reset()
    {
        Contacts.Reset();
        CustomFields.Reset();
        Tokens.Reset();
        Limits.Set(Options.RateLimit);
        Limits.Reset();
        Faults.Set(Options.Faults);
        Requests.Reset();
    }
}

using System.Data.Common;

namespace Sync.Storage;

/// <summary>One open connection and transaction: marking the inbox, enqueueing follow-ups and updating the index commit together.</summary>
public interface IUnitOfWork : IAsyncDisposable
{
    /// <summary>The open connection.</summary>
    DbConnection Connection { get; }

    /// <summary>The transaction every store call made with this unit of work joins.</summary>
    DbTransaction Transaction { get; }

    /// <summary>Commits. Disposing without committing rolls back.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}

/// <summary>Opens units of work on the configured database.</summary>
public interface IUnitOfWorkFactory
{
    /// <summary>Opens a connection and begins a transaction (read committed).</summary>
    Task<IUnitOfWork> BeginAsync(CancellationToken cancellationToken);
}

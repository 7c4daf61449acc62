using System.Data.Common;

namespace Pipeliner.Server.Logs.Search;

/// <summary>What an index's insert of a log answers, on either provider: the log's id, then the id its next piece takes.</summary>
internal static class AddedLogIds
{
    public static async Task<(long LogId, long NextPiece)> ReadAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        await reader.ReadAsync(cancellationToken);
        var logId = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (logId, reader.GetInt64(0));
    }
}

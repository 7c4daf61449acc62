using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeliner.Server.Settings;

/// <summary>Section <c>Pipeliner:Storage</c>: where job logs are kept.</summary>
public sealed class StorageOptions
{
    public const string FileSystem = "filesystem";
    public const string Database = "database";

    [Description("Where job logs are kept: filesystem (the default, files in the data directory, for one server) or database " +
                 "(in the database, compressed once final, so that server replicas on PostgreSQL share them without a shared disk).")]
    [AllowedValues(FileSystem, Database, ErrorMessage = "must be filesystem or database")]
    public string Provider { get; set; } = FileSystem;
}

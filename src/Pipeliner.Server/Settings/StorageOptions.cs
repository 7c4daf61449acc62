using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeliner.Server.Settings;

/// <summary>Section <c>Pipeliner:Storage</c>: where job logs, artifacts, caches and remote agents' uploads are kept.</summary>
public sealed class StorageOptions
{
    public const string FileSystem = "filesystem";
    public const string Database = "database";

    [Description("Where job logs, artifacts, caches and remote agents' uploads are kept: filesystem (the default, files in the data " +
                 "directory, for one server) or database (rows in the database: logs compressed once final, archives in chunks of 1 MiB, " +
                 "so that server replicas on PostgreSQL share them without a shared disk).")]
    [AllowedValues(FileSystem, Database, ErrorMessage = "must be filesystem or database")]
    public string Provider { get; set; } = FileSystem;
}

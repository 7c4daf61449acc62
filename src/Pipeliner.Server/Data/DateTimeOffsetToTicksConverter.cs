using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Pipeliner.Server.Data;

/// <summary>Stores a point in time as UTC ticks (a sortable integer) and reads it back in UTC.</summary>
public sealed class DateTimeOffsetToTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => ToStored(value),
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero))
{
    /// <summary>The stored form, for SQL written by hand (<see cref="SqlPerModel"/>).</summary>
    public static long ToStored(DateTimeOffset value) => value.UtcTicks;
}

using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Pipeliner.Server.Data;

/// <summary>Stores a point in time as UTC ticks (a sortable integer) and reads it back in UTC.</summary>
public sealed class DateTimeOffsetToTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));

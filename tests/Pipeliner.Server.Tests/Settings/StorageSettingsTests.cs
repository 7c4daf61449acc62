using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Tests.Settings;

/// <summary><c>Pipeliner:Storage:Provider</c> is checked at start and named by its key.</summary>
public class StorageSettingsTests
{
    [Theory]
    [InlineData("filesystem")]
    [InlineData("database")]
    public void Validate_Accepts_WhenTheStorageProviderIsKnown(string provider)
    {
        var options = new PipelinerOptions { Storage = new StorageOptions { Provider = provider } };

        Assert.True(new PipelinerOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("Database")]
    public void Validate_NamesTheSetting_WhenTheStorageProviderIsUnknown(string provider)
    {
        var options = new PipelinerOptions { Storage = new StorageOptions { Provider = provider } };

        var result = new PipelinerOptionsValidator().Validate(null, options);

        Assert.Contains("Pipeliner:Storage:Provider: must be filesystem or database", result.Failures ?? []);
    }
}

namespace Sync.ObservabilityTests.Support;

/// <summary>Files of the repository the tests read (alert rules, dashboard), found from the test's folder upwards.</summary>
public static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sync.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Sync.sln not found above " + TestContext.CurrentContext.TestDirectory);
    }
}

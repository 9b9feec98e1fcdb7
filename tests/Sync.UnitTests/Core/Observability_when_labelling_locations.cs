using Sync.Core;

namespace Sync.UnitTests.Core;

/// <summary>The location label of the budget metrics is bounded: past the cap, locations share one label.</summary>
[NonParallelizable]
public sealed class Observability_when_labelling_locations
{
    private int _saved;

    [SetUp]
    public void Save_the_cap() => _saved = SyncTelemetry.MaxLabelledLocations;

    [TearDown]
    public void Restore_the_cap() => SyncTelemetry.MaxLabelledLocations = _saved;

    [Test]
    public void Should_label_a_location_by_its_id_while_under_the_cap()
    {
        SyncTelemetry.MaxLabelledLocations = int.MaxValue;

        Assert.That(SyncTelemetry.LocationLabel("loc-under-the-cap"), Is.EqualTo("loc-under-the-cap"));
    }

    [Test]
    public void Should_label_a_location_past_the_cap_as_other()
    {
        SyncTelemetry.MaxLabelledLocations = 0;

        Assert.That(SyncTelemetry.LocationLabel("loc-past-the-cap"), Is.EqualTo(SyncTelemetry.OtherLocations));
    }

    [Test]
    public void Should_keep_the_label_of_a_location_once_given()
    {
        SyncTelemetry.MaxLabelledLocations = int.MaxValue;
        var first = SyncTelemetry.LocationLabel("loc-kept");
        SyncTelemetry.MaxLabelledLocations = 0;

        Assert.That(SyncTelemetry.LocationLabel("loc-kept"), Is.EqualTo(first).And.EqualTo("loc-kept"));
    }

    [Test]
    public void Should_give_no_more_labels_than_the_cap_allows()
    {
        // Room for exactly three more than are labelled now: of five new locations, three get their own label.
        SyncTelemetry.MaxLabelledLocations = SyncTelemetry.LabelledLocationCount + 3;

        var labels = Enumerable.Range(0, 5).Select(i => SyncTelemetry.LocationLabel($"loc-capped-{i}")).ToList();

        Assert.That(labels.Count(l => l != SyncTelemetry.OtherLocations), Is.EqualTo(3));
    }
}

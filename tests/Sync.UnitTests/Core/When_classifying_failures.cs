using Sync.Core;

namespace Sync.UnitTests.Core;

public sealed class When_classifying_failures
{
    [TestCase(400, FailureKind.Permanent)]
    [TestCase(404, FailureKind.Permanent)]
    [TestCase(422, FailureKind.Permanent)]
    [TestCase(401, FailureKind.Authentication)]
    [TestCase(403, FailureKind.Authentication)]
    [TestCase(429, FailureKind.RateLimited)]
    [TestCase(408, FailureKind.Transient)]
    [TestCase(500, FailureKind.Transient)]
    [TestCase(502, FailureKind.Transient)]
    [TestCase(503, FailureKind.Transient)]
    [TestCase(504, FailureKind.Transient)]
    public void Should_map_the_status_to_its_kind(int status, FailureKind expected) =>
        Assert.That(FailureClassifier.Classify(status), Is.EqualTo(expected));

    [Test]
    public void Should_refuse_a_success_status() =>
        Assert.That(() => FailureClassifier.Classify(200), Throws.TypeOf<ArgumentOutOfRangeException>());

    [Test]
    public void Should_back_off_transient_failures_1_2_4_8_seconds() =>
        Assert.That(FailureClassifier.TransientBackoff.Select(d => d.TotalSeconds), Is.EqualTo(new[] { 1d, 2d, 4d, 8d }));
}

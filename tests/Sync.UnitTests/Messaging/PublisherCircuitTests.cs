using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sync.Messaging;

namespace Sync.UnitTests.Messaging;

public sealed class PublisherCircuitTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private PublisherCircuit _circuit = null!;

    [SetUp]
    public void Create() => _circuit = new PublisherCircuit(
        Options.Create(new RabbitMqOptions { PublishProbeInterval = TimeSpan.FromSeconds(1), PublishProbeMaxInterval = TimeSpan.FromSeconds(3) }), _time, Microsoft.Extensions.Logging.Abstractions.NullLogger<PublisherCircuit>.Instance);

    [Test]
    public void Should_let_every_publish_through_while_closed()
    {
        var entered = Enumerable.Range(0, 5).Count(_ => _circuit.TryEnter(out var probe) && !probe);

        Assert.That(entered, Is.EqualTo(5));
    }

    [Test]
    public void Should_open_on_the_first_failure_and_skip_the_broker_until_the_probe_is_due()
    {
        Assert.That(_circuit.TryEnter(out var first), Is.True);
        var nextTry = _circuit.Failed(first, "test");
        var skipped = Enumerable.Range(0, 4).Count(_ => !_circuit.TryEnter(out bool _));
        _time.Advance(TimeSpan.FromSeconds(1));
        var probing = _circuit.TryEnter(out var probe);
        var secondProbe = _circuit.TryEnter(out bool _);

        Assert.Multiple(() =>
        {
            Assert.That(nextTry, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(_circuit.IsOpen, Is.True);
            Assert.That(skipped, Is.EqualTo(4));
            Assert.That(probing && probe, Is.True, "the first caller after the interval probes");
            Assert.That(secondProbe, Is.False, "one probe at a time");
        });
    }

    [Test]
    public void Should_cancel_the_publishes_under_way_when_it_opens_and_not_those_after_it_closes()
    {
        var underWay = _circuit.OpenedToken;
        var beforeOpening = underWay.IsCancellationRequested;
        _circuit.BrokerLost("connection reset");
        var whileOpen = _circuit.OpenedToken;
        _time.Advance(TimeSpan.FromSeconds(1));
        _circuit.TryEnter(out var probe);
        _circuit.Succeeded(probe);
        var afterClosing = _circuit.OpenedToken;

        Assert.Multiple(() =>
        {
            Assert.That(beforeOpening, Is.False);
            Assert.That(underWay.IsCancellationRequested, Is.True, "a publish under way gives up when the circuit opens");
            Assert.That(_circuit.IsOpen, Is.False);
            Assert.That(whileOpen.IsCancellationRequested, Is.True, "a token read while open is already cancelled");
            Assert.That(afterClosing.IsCancellationRequested, Is.False, "a publish after closing waits for its confirm");
        });
    }

    [Test]
    public void Should_tell_waiters_when_it_closes_and_not_before()
    {
        var whileClosed = _circuit.Closed;
        _circuit.BrokerLost("connection reset");
        var whileOpen = _circuit.Closed;
        _time.Advance(TimeSpan.FromSeconds(1));
        _circuit.TryEnter(out var probe);
        var beforeTheProbeAnswers = whileOpen.IsCompleted;
        _circuit.Succeeded(probe);
        var completedOnClosing = whileOpen.Wait(TimeSpan.FromSeconds(5));
        _circuit.BrokerLost("connection reset again");
        var nextOpening = _circuit.Closed;

        Assert.Multiple(() =>
        {
            Assert.That(whileClosed.IsCompleted, Is.True, "nothing to wait for while closed");
            Assert.That(beforeTheProbeAnswers, Is.False, "open until a publish succeeds");
            Assert.That(completedOnClosing, Is.True, "waiters resume when the probe closes it");
            Assert.That(nextOpening.IsCompleted, Is.False, "each opening has its own wait");
        });
    }

    [Test]
    public void Should_open_once_when_the_broker_is_lost_and_probe_at_once_when_told_it_is_back()
    {
        _circuit.BrokerLost("connection reset");
        _circuit.BrokerLost("connection reset again");
        var enteredBefore = _circuit.TryEnter(out bool _);
        _circuit.ProbeNow();
        var probing = _circuit.TryEnter(out var probe);

        Assert.Multiple(() =>
        {
            Assert.That(_circuit.IsOpen, Is.True);
            Assert.That(enteredBefore, Is.False, "no publish before the probe is due");
            Assert.That(probing && probe, Is.True, "the probe is due at once, without the interval passing");
        });
    }

    [Test]
    public void Should_not_make_a_probe_due_while_closed()
    {
        _circuit.ProbeNow();

        Assert.Multiple(() =>
        {
            Assert.That(_circuit.TryEnter(out var probe), Is.True);
            Assert.That(probe, Is.False);
        });
    }

    [Test]
    public void Should_double_the_wait_after_each_failed_probe_up_to_the_longest()
    {
        _circuit.TryEnter(out var first);
        _circuit.Failed(first, "test");
        var waits = new List<double>();
        for (var i = 0; i < 4; i++)
        {
            var waited = 0.0;
            while (!_circuit.TryEnter(out var probe) || !probe)
            {
                _time.Advance(TimeSpan.FromMilliseconds(250));
                waited += 0.25;
            }

            waits.Add(waited);
            Assert.That(_circuit.Failed(true, "test"), Is.Null, "a failed probe does not reopen");
        }

        Assert.That(waits, Is.EqualTo(new[] { 1.0, 2.0, 3.0, 3.0 }));
    }

    [Test]
    public void Should_close_when_a_probe_succeeds_and_say_how_many_skipped_the_broker()
    {
        _circuit.TryEnter(out var first);
        _circuit.Failed(first, "test");
        for (var i = 0; i < 3; i++)
        {
            _circuit.TryEnter(out bool _);
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        _circuit.TryEnter(out var probe);
        var skipped = _circuit.Succeeded(probe);

        Assert.Multiple(() =>
        {
            Assert.That(skipped, Is.EqualTo(3));
            Assert.That(_circuit.IsOpen, Is.False);
            Assert.That(_circuit.TryEnter(out var after) && !after, Is.True);
            Assert.That(_circuit.Succeeded(false), Is.Null, "a success while closed changes nothing");
        });
    }

    [Test]
    public void Should_let_another_caller_probe_when_a_probe_is_abandoned()
    {
        _circuit.TryEnter(out var first);
        _circuit.Failed(first, "test");
        _time.Advance(TimeSpan.FromSeconds(1));
        _circuit.TryEnter(out var probe);
        _circuit.Abandoned(probe);

        Assert.That(_circuit.TryEnter(out var next) && next, Is.True);
    }

    [Test]
    public void Should_refuse_a_longest_wait_shorter_than_the_first()
    {
        var options = new RabbitMqOptions { PublishProbeInterval = TimeSpan.FromSeconds(5), PublishProbeMaxInterval = TimeSpan.FromSeconds(1) };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage).ToList();

        Assert.That(errors, Has.Count.EqualTo(1).And.Some.Contains("Sync:RabbitMq:PublishProbeMaxInterval"));
    }
}

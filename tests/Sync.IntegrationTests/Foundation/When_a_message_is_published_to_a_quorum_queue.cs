using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sync.Contracts;
using Sync.Core;
using Sync.Testing;

namespace Sync.IntegrationTests.Foundation;

[TestFixture]
public sealed class When_a_message_is_published_to_a_quorum_queue
{
    private const string QueueName = "foundation-probe";

    private RabbitMqTestVirtualHost _vhost = null!;
    private ServiceProvider _services = null!;
    private IBusControl _bus = null!;
    private readonly TaskCompletionSource<ConsumeContext<WebhookReceived>> _consumed =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    [OneTimeSetUp]
    public async Task Publish_one_message()
    {
        _vhost = await RabbitMqTestVirtualHost.CreateAsync();

        _services = new ServiceCollection()
            .AddSingleton(_consumed)
            .AddMassTransit(x =>
            {
                x.DisableUsageTelemetry();
                x.AddConsumer<ProbeConsumer>();
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(_vhost.Host, (ushort)_vhost.Port, _vhost.Name, h =>
                    {
                        h.Username(_vhost.Username);
                        h.Password(_vhost.Password);
                    });
                    cfg.ReceiveEndpoint(QueueName, e =>
                    {
                        e.SetQuorumQueue();
                        e.ConfigureConsumer<ProbeConsumer>(context);
                    });
                });
            })
            .BuildServiceProvider();

        _bus = _services.GetRequiredService<IBusControl>();
        using var started = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _bus.StartAsync(started.Token);

        var message = new WebhookReceived("crm", "evt-1", "contact.upserted", "loc-1",
            DateTimeOffset.UtcNow.AddSeconds(-1), DateTimeOffset.UtcNow, """{"email":"a@example.com"}""");
        await _bus.Publish(message, ctx => ctx.MessageId = DeterministicId.ForWebhook("crm", "evt-1"));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_bus is not null)
        {
            await _bus.StopAsync();
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_be_consumed_with_its_content_and_message_id()
    {
        var context = await _consumed.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(context.Message.EventId, Is.EqualTo("evt-1"));
            Assert.That(context.Message.Payload, Is.EqualTo("""{"email":"a@example.com"}"""));
            Assert.That(context.MessageId, Is.EqualTo(DeterministicId.ForWebhook("crm", "evt-1")));
        });
    }

    [Test]
    public async Task Should_have_declared_the_queue_as_a_durable_quorum_queue()
    {
        await _consumed.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var queue = await _vhost.GetQueueAsync(QueueName);

        Assert.Multiple(() =>
        {
            Assert.That(queue.GetProperty("type").GetString(), Is.EqualTo("quorum"));
            Assert.That(queue.GetProperty("durable").GetBoolean(), Is.True);
        });
    }

    private sealed class ProbeConsumer(TaskCompletionSource<ConsumeContext<WebhookReceived>> consumed) : IConsumer<WebhookReceived>
    {
        public Task Consume(ConsumeContext<WebhookReceived> context)
        {
            consumed.TrySetResult(context);
            return Task.CompletedTask;
        }
    }
}

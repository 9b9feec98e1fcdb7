# The webhook ingress (docs/webhooks.md) as a container, listening on 5080.
# Build from the repository root: docker build -f infra/docker/Ingress.Dockerfile .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Directory.Build.props src/
COPY src/Sync.Contracts/Sync.Contracts.csproj src/Sync.Contracts/
COPY src/Sync.Core/Sync.Core.csproj src/Sync.Core/
COPY src/Sync.HoopAi/Sync.HoopAi.csproj src/Sync.HoopAi/
COPY src/Sync.Storage/Sync.Storage.csproj src/Sync.Storage/
COPY src/Sync.Messaging/Sync.Messaging.csproj src/Sync.Messaging/
COPY src/Sync.Observability/Sync.Observability.csproj src/Sync.Observability/
COPY src/Sync.Ingress/Sync.Ingress.csproj src/Sync.Ingress/
RUN dotnet restore src/Sync.Ingress/Sync.Ingress.csproj
COPY src/Sync.Contracts/ src/Sync.Contracts/
COPY src/Sync.Core/ src/Sync.Core/
COPY src/Sync.HoopAi/ src/Sync.HoopAi/
COPY src/Sync.Storage/ src/Sync.Storage/
COPY src/Sync.Messaging/ src/Sync.Messaging/
COPY src/Sync.Observability/ src/Sync.Observability/
COPY src/Sync.Ingress/ src/Sync.Ingress/
RUN dotnet publish src/Sync.Ingress/Sync.Ingress.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    MASSTRANSIT_USAGE_TELEMETRY=false
EXPOSE 5080
# Kept OAuth installations (Sync:Ingress:OAuth:PendingDirectory): owned by the app user, so a fresh volume mounted
# here inherits that owner.
RUN mkdir -p /var/lib/sync/pending-installations && chown app /var/lib/sync/pending-installations && chmod 700 /var/lib/sync/pending-installations
USER app
ENTRYPOINT ["dotnet", "Sync.Ingress.dll"]
CMD ["--urls", "http://0.0.0.0:5080"]

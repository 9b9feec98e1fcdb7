# The worker (consumers, outbox relay) as a container. Scale it with `docker compose up -d --scale worker=3`.
# Build from the repository root: docker build -f infra/docker/Worker.Dockerfile .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Directory.Build.props src/
COPY src/Sync.Contracts/Sync.Contracts.csproj src/Sync.Contracts/
COPY src/Sync.Core/Sync.Core.csproj src/Sync.Core/
COPY src/Sync.HoopAi/Sync.HoopAi.csproj src/Sync.HoopAi/
COPY src/Sync.Storage/Sync.Storage.csproj src/Sync.Storage/
COPY src/Sync.Messaging/Sync.Messaging.csproj src/Sync.Messaging/
COPY src/Sync.Components/Sync.Components.csproj src/Sync.Components/
COPY src/Sync.Observability/Sync.Observability.csproj src/Sync.Observability/
COPY src/Sync.Worker/Sync.Worker.csproj src/Sync.Worker/
RUN dotnet restore src/Sync.Worker/Sync.Worker.csproj
COPY src/Sync.Contracts/ src/Sync.Contracts/
COPY src/Sync.Core/ src/Sync.Core/
COPY src/Sync.HoopAi/ src/Sync.HoopAi/
COPY src/Sync.Storage/ src/Sync.Storage/
COPY src/Sync.Messaging/ src/Sync.Messaging/
COPY src/Sync.Components/ src/Sync.Components/
COPY src/Sync.Observability/ src/Sync.Observability/
COPY src/Sync.Worker/ src/Sync.Worker/
RUN dotnet publish src/Sync.Worker/Sync.Worker.csproj -c Release -o /app --no-restore

# ASP.NET Core runtime: the worker serves /health and /metrics on Sync:Worker:Http:Urls.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    MASSTRANSIT_USAGE_TELEMETRY=false
USER app
ENTRYPOINT ["dotnet", "Sync.Worker.dll"]

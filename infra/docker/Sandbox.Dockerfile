# The HoopAI API simulator (and webhook emitter) as a container, listening on 5099.
# Build from the repository root: docker build -f infra/docker/Sandbox.Dockerfile .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Directory.Build.props src/
COPY src/Sync.Emitter/Sync.Emitter.csproj src/Sync.Emitter/
COPY src/Sync.Sandbox/Sync.Sandbox.csproj src/Sync.Sandbox/
RUN dotnet restore src/Sync.Sandbox/Sync.Sandbox.csproj
COPY src/Sync.Emitter/ src/Sync.Emitter/
COPY src/Sync.Sandbox/ src/Sync.Sandbox/
RUN dotnet publish src/Sync.Sandbox/Sync.Sandbox.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1
EXPOSE 5099
ENTRYPOINT ["dotnet", "Sync.Sandbox.dll"]
CMD ["--urls", "http://0.0.0.0:5099"]

using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Sync.Ingress.Internal;

/// <summary>
/// The <c>state</c> of an install begun at <c>/oauth/start</c>: <c>{nonce}.{expires}.{mac}</c>, where the nonce is random
/// and also set in a cookie on the browser that began it, <c>expires</c> is unix seconds, and the mac an HMAC-SHA256 of
/// both under the state key. A callback must bring a state this process (or one sharing its key) signed, not expired,
/// whose nonce equals the cookie's: a state copied to another browser, forged or replayed late is refused.
/// </summary>
internal sealed class OAuthState
{
    /// <summary>The cookie holding the nonce.</summary>
    public const string CookieName = "sync_oauth_state";

    /// <summary>The shortest state key accepted.</summary>
    public const int MinKeyBytes = 32;

    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;

    public OAuthState(IOptions<IngressOptions> options, TimeProvider time)
    {
        var oauth = options.Value.OAuth;
        _key = oauth.StateKey.Length > 0 ? Convert.FromBase64String(oauth.StateKey) : RandomNumberGenerator.GetBytes(MinKeyBytes);
        _time = time;
        _lifetime = oauth.StateLifetime;
    }

    /// <summary>How long a state is valid.</summary>
    public TimeSpan Lifetime => _lifetime;

    /// <summary>A new state and the nonce to put in the cookie.</summary>
    public (string State, string Nonce) Issue()
    {
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        var expires = _time.GetUtcNow().Add(_lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return ($"{nonce}.{expires}.{Mac(nonce, expires)}", nonce);
    }

    /// <summary>Checks a callback's state against the cookie's nonce.</summary>
    public OAuthStateCheck Check(string state, string? cookieNonce)
    {
        var parts = state.Split('.');
        if (parts.Length != 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return OAuthStateCheck.Invalid;
        }

        var expected = Encoding.ASCII.GetBytes(Mac(parts[0], parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2])))
        {
            return OAuthStateCheck.Invalid;
        }

        if (cookieNonce is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(parts[0]), Encoding.ASCII.GetBytes(cookieNonce)))
        {
            return OAuthStateCheck.OtherBrowser;
        }

        return _time.GetUtcNow().ToUnixTimeSeconds() > expires ? OAuthStateCheck.Expired : OAuthStateCheck.Valid;
    }

    private string Mac(string nonce, string expires) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes($"{nonce}.{expires}")));
}

/// <summary>The verdict on a callback's <c>state</c>.</summary>
internal enum OAuthStateCheck
{
    /// <summary>Signed here, not expired, and the cookie matches.</summary>
    Valid,

    /// <summary>Not a state this key signed (forged, altered, malformed).</summary>
    Invalid,

    /// <summary>Signed here but brought by a browser without the matching cookie.</summary>
    OtherBrowser,

    /// <summary>Signed here, but older than its lifetime.</summary>
    Expired,
}

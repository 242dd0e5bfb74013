using Berth.WebConsole.Html;

namespace Berth.WebConsole.Auth;

/// <summary>The sign-in form: an access key ID and its secret, posted to the same address.</summary>
public static class SignInPage
{
    /// <summary>The form; <paramref name="error"/> says why the last attempt was refused; <paramref name="next"/> is where to go after.</summary>
    public static Page Render(string? error, string? next, string? accessKeyId = null, int status = 200)
    {
        var alert = error is null ? Markup.Empty : Markup.Of($"<p class=\"error\" role=\"alert\">{error}</p>");
        return new Page(status, "Sign in", Markup.Of($"""
            <section class="sign-in">
            <h1>Sign in to Berth</h1>
            <p>Use an access key of this server (the root credentials <code>./berth server</code> printed on its first start, or
            <code>BERTH_ACCESS_KEY_ID</code> / <code>BERTH_SECRET_ACCESS_KEY</code>).</p>
            {alert}
            <form method="post" action="{Links.SignIn}">
            <input type="hidden" name="next" value="{next ?? Links.Root}">
            <label for="access-key-id">Access key ID</label>
            <input id="access-key-id" name="accessKeyId" autocomplete="username" required value="{accessKeyId}">
            <label for="secret-access-key">Secret access key</label>
            <input id="secret-access-key" name="secretAccessKey" type="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
            </form>
            </section>
            """));
    }

    /// <summary>
    /// Where to go after signing in: only a path inside the console (never another site: <c>//host</c> or a scheme),
    /// else the console's root.
    /// </summary>
    public static string SafeNext(string? next)
        => next is not null && next.StartsWith(Links.Root, StringComparison.Ordinal) && !next.Contains("//", StringComparison.Ordinal)
            && !next.Contains('\\', StringComparison.Ordinal) && next.All(c => c > ' ' && c < 127)
            ? next
            : Links.Root;
}

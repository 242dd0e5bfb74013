using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Berth.Protocol.Errors;

namespace Berth.Logs.Filtering;

/// <summary>
/// A CloudWatch Logs filter pattern, parsed once and matched against many messages. Two forms, as AWS documents them:
/// terms — words and <c>"quoted phrases"</c> that must all occur (case-sensitive), <c>?term</c> alternatives of which
/// one must occur, <c>-term</c> exclusions, <c>%regex%</c> — and JSON patterns over a message that is a JSON object:
/// <c>{ $.level = "error" }</c>, <c>!=</c>, numeric <c>&lt; &lt;= &gt; &gt;=</c>, <c>*</c> wildcards in strings, <c>IS NULL</c>,
/// <c>IS TRUE</c>/<c>IS FALSE</c>, <c>NOT EXISTS</c>, <c>$.a[0].b</c>, combined with <c>&amp;&amp;</c>, <c>||</c> and parentheses.
/// An empty pattern matches every event.
/// </summary>
public sealed class FilterPattern
{
    private readonly Func<string, bool> _match;

    private FilterPattern(Func<string, bool> match) => _match = match;

    /// <summary>The pattern that matches everything.</summary>
    public static FilterPattern All { get; } = new(_ => true);

    /// <summary>Whether <paramref name="message"/> matches.</summary>
    public bool Matches(string message) => _match(message);

    /// <summary>Parses <paramref name="pattern"/>; InvalidParameterException when it is not a valid pattern.</summary>
    public static FilterPattern Parse(string? pattern)
    {
        var text = pattern?.Trim() ?? string.Empty;
        if (text.Length == 0)
        {
            return All;
        }

        try
        {
            return text[0] == '{' ? new FilterPattern(JsonPattern.Parse(text)) : new FilterPattern(TermPattern.Parse(text));
        }
        catch (FormatException ex)
        {
            throw AwsException.InvalidParameter("Invalid filter pattern: " + ex.Message);
        }
    }

    private static class TermPattern
    {
        public static Func<string, bool> Parse(string text)
        {
            var required = new List<Func<string, bool>>();
            var alternatives = new List<Func<string, bool>>();
            var excluded = new List<Func<string, bool>>();
            var i = 0;
            while (i < text.Length)
            {
                if (char.IsWhiteSpace(text[i]))
                {
                    i++;
                    continue;
                }

                var list = required;
                if (text[i] == '?')
                {
                    list = alternatives;
                    i++;
                }
                else if (text[i] == '-' && i + 1 < text.Length && !char.IsWhiteSpace(text[i + 1]))
                {
                    list = excluded;
                    i++;
                }

                if (i >= text.Length)
                {
                    throw new FormatException("a term is missing after its operator.");
                }

                list.Add(ReadTerm(text, ref i));
            }

            return message =>
            {
                foreach (var term in required)
                {
                    if (!term(message))
                    {
                        return false;
                    }
                }

                foreach (var term in excluded)
                {
                    if (term(message))
                    {
                        return false;
                    }
                }

                if (alternatives.Count == 0)
                {
                    return true;
                }

                foreach (var term in alternatives)
                {
                    if (term(message))
                    {
                        return true;
                    }
                }

                return false;
            };
        }

        private static Func<string, bool> ReadTerm(string text, ref int i)
        {
            if (text[i] == '"')
            {
                var phrase = ReadQuoted(text, ref i);
                return m => m.Contains(phrase, StringComparison.Ordinal);
            }

            if (text[i] == '%')
            {
                var close = text.IndexOf('%', i + 1);
                if (close < 0)
                {
                    throw new FormatException("a regular expression is not closed with %.");
                }

                Regex regex;
                try
                {
                    regex = new Regex(text[(i + 1)..close], RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                }
                catch (ArgumentException ex)
                {
                    throw new FormatException(ex.Message);
                }

                i = close + 1;
                return m => regex.IsMatch(m);
            }

            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var word = text[start..i];
            return m => m.Contains(word, StringComparison.Ordinal);
        }
    }

    private static string ReadQuoted(string text, ref int i)
    {
        var builder = new StringBuilder();
        i++;
        while (i < text.Length && text[i] != '"')
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
            }

            builder.Append(text[i]);
            i++;
        }

        if (i >= text.Length)
        {
            throw new FormatException("a quoted term is not closed.");
        }

        i++;
        return builder.ToString();
    }

    private sealed class JsonPattern
    {
        private readonly string _text;
        private int _i;

        private JsonPattern(string text) => _text = text;

        public static Func<string, bool> Parse(string text)
        {
            if (text[^1] != '}')
            {
                throw new FormatException("a JSON pattern must end with }.");
            }

            var parser = new JsonPattern(text[1..^1]);
            var expression = parser.ParseOr();
            parser.SkipSpace();
            if (parser._i != parser._text.Length)
            {
                throw new FormatException($"unexpected '{parser._text[parser._i..]}'.");
            }

            return message =>
            {
                var trimmed = message.AsSpan().TrimStart();
                if (trimmed.IsEmpty || trimmed[0] != '{')
                {
                    return false;
                }

                try
                {
                    using var document = JsonDocument.Parse(message);
                    return expression(document.RootElement);
                }
                catch (JsonException)
                {
                    return false;
                }
            };
        }

        private Func<JsonElement, bool> ParseOr()
        {
            var left = ParseAnd();
            while (TryRead("||"))
            {
                var l = left;
                var r = ParseAnd();
                left = e => l(e) || r(e);
            }

            return left;
        }

        private Func<JsonElement, bool> ParseAnd()
        {
            var left = ParseUnary();
            while (TryRead("&&"))
            {
                var l = left;
                var r = ParseUnary();
                left = e => l(e) && r(e);
            }

            return left;
        }

        private Func<JsonElement, bool> ParseUnary()
        {
            if (TryRead("("))
            {
                var inner = ParseOr();
                if (!TryRead(")"))
                {
                    throw new FormatException("a parenthesis is not closed.");
                }

                return inner;
            }

            return ParseComparison();
        }

        private Func<JsonElement, bool> ParseComparison()
        {
            SkipSpace();
            if (!TryRead("$"))
            {
                throw new FormatException("a JSON comparison must start with a selector such as $.field.");
            }

            var path = ParseSelector();
            SkipSpace();
            if (TryReadWord("IS"))
            {
                if (TryReadWord("NULL"))
                {
                    return e => Select(e, path) is { ValueKind: JsonValueKind.Null };
                }

                if (TryReadWord("TRUE"))
                {
                    return e => Select(e, path) is { ValueKind: JsonValueKind.True };
                }

                if (TryReadWord("FALSE"))
                {
                    return e => Select(e, path) is { ValueKind: JsonValueKind.False };
                }

                throw new FormatException("IS must be followed by NULL, TRUE or FALSE.");
            }

            if (TryReadWord("NOT"))
            {
                if (!TryReadWord("EXISTS"))
                {
                    throw new FormatException("NOT must be followed by EXISTS.");
                }

                return e => Select(e, path) is null;
            }

            var op = ReadOperator();
            SkipSpace();
            var (value, quoted) = ReadValue();
            var number = !quoted && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : (double?)null;
            if (op is "<" or "<=" or ">" or ">=")
            {
                if (number is not { } bound)
                {
                    throw new FormatException($"'{op}' needs a number, not '{value}'.");
                }

                return e => Select(e, path) is { ValueKind: JsonValueKind.Number } found && Compare(found.GetDouble(), op, bound);
            }

            var equal = op == "=";
            return e =>
            {
                if (Select(e, path) is not { } found)
                {
                    return false;
                }

                bool same = found.ValueKind switch
                {
                    JsonValueKind.Number when number is { } x => found.GetDouble() == x,
                    JsonValueKind.String => Wildcard(found.GetString()!, value),
                    JsonValueKind.True or JsonValueKind.False => !quoted && string.Equals(value, found.ValueKind == JsonValueKind.True ? "true" : "false", StringComparison.Ordinal),
                    JsonValueKind.Null => false,
                    JsonValueKind.Number => Wildcard(found.GetRawText(), value),
                    _ => false,
                };
                return equal ? same : !same;
            };
        }

        private static bool Compare(double x, string op, double bound) => op switch
        {
            "<" => x < bound,
            "<=" => x <= bound,
            ">" => x > bound,
            _ => x >= bound,
        };

        // '*' in a value matches any run of characters, as AWS's wildcards do.
        private static bool Wildcard(string text, string pattern)
        {
            if (!pattern.Contains('*', StringComparison.Ordinal))
            {
                return string.Equals(text, pattern, StringComparison.Ordinal);
            }

            var regex = "^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$";
            return Regex.IsMatch(text, regex, RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }

        private static JsonElement? Select(JsonElement root, List<object> path)
        {
            var current = root;
            foreach (var step in path)
            {
                if (step is string name)
                {
                    if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out var next))
                    {
                        return null;
                    }

                    current = next;
                }
                else
                {
                    var index = (int)step;
                    if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                    {
                        return null;
                    }

                    current = current[index];
                }
            }

            return current;
        }

        private List<object> ParseSelector()
        {
            var path = new List<object>();
            while (_i < _text.Length)
            {
                if (_text[_i] == '.')
                {
                    _i++;
                    if (_i < _text.Length && _text[_i] == '[')
                    {
                        continue;
                    }

                    var start = _i;
                    while (_i < _text.Length && (char.IsLetterOrDigit(_text[_i]) || _text[_i] is '_' or '-' or '@' or ':'))
                    {
                        _i++;
                    }

                    if (start == _i)
                    {
                        throw new FormatException("a selector names an empty field.");
                    }

                    path.Add(_text[start.._i]);
                }
                else if (_text[_i] == '[')
                {
                    var close = _text.IndexOf(']', _i);
                    if (close < 0)
                    {
                        throw new FormatException("a selector's [ is not closed.");
                    }

                    var inside = _text[(_i + 1)..close].Trim();
                    if (int.TryParse(inside, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    {
                        path.Add(index);
                    }
                    else if (inside.Length >= 2 && inside[0] == '\'' && inside[^1] == '\'')
                    {
                        path.Add(inside[1..^1]);
                    }
                    else
                    {
                        throw new FormatException($"'[{inside}]' is not an array index.");
                    }

                    _i = close + 1;
                }
                else
                {
                    break;
                }
            }

            if (path.Count == 0)
            {
                throw new FormatException("a selector must name a field, as in $.field.");
            }

            return path;
        }

        private string ReadOperator()
        {
            foreach (var op in new[] { "!=", "<=", ">=", "=", "<", ">" })
            {
                if (TryRead(op))
                {
                    return op;
                }
            }

            throw new FormatException("a comparison needs one of = != < <= > >=.");
        }

        private (string Value, bool Quoted) ReadValue()
        {
            if (_i < _text.Length && _text[_i] == '"')
            {
                return (ReadQuoted(_text, ref _i), true);
            }

            var start = _i;
            while (_i < _text.Length && !char.IsWhiteSpace(_text[_i]) && _text[_i] != ')' && !_text.AsSpan(_i).StartsWith("&&") && !_text.AsSpan(_i).StartsWith("||"))
            {
                _i++;
            }

            if (start == _i)
            {
                throw new FormatException("a comparison is missing its value.");
            }

            return (_text[start.._i], false);
        }

        private void SkipSpace()
        {
            while (_i < _text.Length && char.IsWhiteSpace(_text[_i]))
            {
                _i++;
            }
        }

        private bool TryRead(string token)
        {
            SkipSpace();
            if (_text.AsSpan(_i).StartsWith(token, StringComparison.Ordinal))
            {
                _i += token.Length;
                return true;
            }

            return false;
        }

        private bool TryReadWord(string word)
        {
            SkipSpace();
            var span = _text.AsSpan(_i);
            if (span.StartsWith(word, StringComparison.Ordinal) && (span.Length == word.Length || !char.IsLetterOrDigit(span[word.Length])))
            {
                _i += word.Length;
                return true;
            }

            return false;
        }
    }
}

using System.Globalization;

namespace Berth.Scheduling.Expressions;

/// <summary>A recursive-descent parser from expression text straight to compiled <see cref="QueryNode"/>s.</summary>
internal sealed class QueryParser(string text)
{
    private const string SubjectNames = "agentConnected, agentVersion, attribute:NAME, ec2InstanceId, registeredAt, runningTasksCount or task:group";

    private int _position;

    private enum Subject
    {
        AgentConnected,
        AgentVersion,
        Attribute,
        Ec2InstanceId,
        RegisteredAt,
        RunningTasksCount,
        TaskGroup,
    }

    private enum Operator
    {
        Equals,
        NotEquals,
        Greater,
        GreaterOrEqual,
        Less,
        LessOrEqual,
        Exists,
        NotExists,
        In,
        NotIn,
        Matches,
        NotMatches,
    }

    /// <summary>Whether a <c>task:group</c> or <c>runningTasksCount</c> term was parsed.</summary>
    public bool UsesTaskGroups { get; private set; }

    private bool AtEnd => _position >= text.Length;

    private char Current => text[_position];

    public QueryNode ParseExpression()
    {
        if (text.Length > ClusterQuery.MaxLength)
        {
            throw new ClusterQueryException(ClusterQuery.MaxLength, $"Invalid expression: longer than {ClusterQuery.MaxLength} characters at position {ClusterQuery.MaxLength}.");
        }

        SkipSpace();
        if (AtEnd)
        {
            throw new ClusterQueryException(_position, $"Invalid expression: empty expression at position {_position}, expected a subject.");
        }

        var node = ParseOr();
        SkipSpace();
        if (!AtEnd)
        {
            throw Unexpected("'and', 'or' or the end of the expression");
        }

        return node;
    }

    private QueryNode ParseOr()
    {
        var parts = new List<QueryNode> { ParseAnd() };
        while (TryBinary("or", "||"))
        {
            parts.Add(ParseAnd());
        }

        return parts.Count == 1 ? parts[0] : new OrNode([.. parts]);
    }

    private QueryNode ParseAnd()
    {
        var parts = new List<QueryNode> { ParseUnary() };
        while (TryBinary("and", "&&"))
        {
            parts.Add(ParseUnary());
        }

        return parts.Count == 1 ? parts[0] : new AndNode([.. parts]);
    }

    private QueryNode ParseUnary()
    {
        SkipSpace();
        if (!AtEnd && Current == '!')
        {
            _position++;
            return new NotNode(ParseUnary());
        }

        if (TryKeyword("not"))
        {
            return new NotNode(ParseUnary());
        }

        if (!AtEnd && Current == '(')
        {
            _position++;
            var inner = ParseOr();
            SkipSpace();
            if (AtEnd || Current != ')')
            {
                throw Unexpected("'and', 'or' or ')'");
            }

            _position++;
            return inner;
        }

        return ParseTerm();
    }

    private QueryNode ParseTerm()
    {
        var subjectAt = _position;
        var word = ReadWord();
        if (word.Length == 0)
        {
            _position = subjectAt;
            throw Unexpected("a subject");
        }

        var (subject, attribute) = ResolveSubject(word, subjectAt);
        if (subject is Subject.TaskGroup or Subject.RunningTasksCount)
        {
            UsesTaskGroups = true;
        }

        SkipSpace();
        var operatorAt = _position;
        var op = ReadOperator();
        CheckAllowed(subject, op, word, text[operatorAt.._position], operatorAt);
        if (op is Operator.Exists or Operator.NotExists)
        {
            var exists = op == Operator.Exists;
            return subject == Subject.Attribute
                ? new AttributeExistsNode(attribute!, exists)
                : exists ? new TaskGroupExistsNode() : new NotNode(new TaskGroupExistsNode());
        }

        if (op is Operator.In or Operator.NotIn)
        {
            var list = ParseList();
            return Build(subject, attribute, op, list[0].Value, list[0].At, list);
        }

        var (value, at) = ParseValue(inList: false);
        return Build(subject, attribute, op, value, at, null);
    }

    private (Subject Subject, string? Attribute) ResolveSubject(string word, int at)
    {
        const string AttributePrefix = "attribute:";
        if (word.StartsWith(AttributePrefix, StringComparison.OrdinalIgnoreCase))
        {
            var name = word[AttributePrefix.Length..];
            var nameAt = at + AttributePrefix.Length;
            if (name.Length == 0)
            {
                throw new ClusterQueryException(nameAt, $"Invalid expression: missing attribute name at position {nameAt}, expected attribute:NAME.");
            }

            for (var i = 0; i < name.Length; i++)
            {
                var c = name[i];
                if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or '/' or '\\'))
                {
                    throw new ClusterQueryException(nameAt + i, $"Invalid expression: invalid character '{c}' in attribute name at position {nameAt + i}, expected letters, numbers, hyphens, underscores, periods or slashes.");
                }
            }

            if (name.Length > 128)
            {
                throw new ClusterQueryException(nameAt + 128, $"Invalid expression: attribute name longer than 128 characters at position {nameAt + 128}.");
            }

            return (Subject.Attribute, name);
        }

        Subject? subject = word.ToUpperInvariant() switch
        {
            "AGENTCONNECTED" => Subject.AgentConnected,
            "AGENTVERSION" => Subject.AgentVersion,
            "EC2INSTANCEID" => Subject.Ec2InstanceId,
            "REGISTEREDAT" => Subject.RegisteredAt,
            "RUNNINGTASKSCOUNT" => Subject.RunningTasksCount,
            "TASK:GROUP" => Subject.TaskGroup,
            _ => null,
        };
        return subject is { } known
            ? (known, null)
            : throw new ClusterQueryException(at, $"Invalid expression: unknown subject '{word}' at position {at}, expected {SubjectNames}.");
    }

    private Operator ReadOperator()
    {
        var at = _position;
        if (AtEnd)
        {
            throw Unexpected("an operator");
        }

        foreach (var (symbol, op) in Symbols)
        {
            if (string.CompareOrdinal(text, _position, symbol, 0, symbol.Length) == 0)
            {
                _position += symbol.Length;
                return op;
            }
        }

        // Word operators, and the negated word forms !exists and !in.
        var negated = Current == '!';
        if (negated)
        {
            _position++;
        }

        var word = ReadWord().ToUpperInvariant();
        Operator? found = (negated, word) switch
        {
            (true, "EXISTS") => Operator.NotExists,
            (true, "IN") => Operator.NotIn,
            (false, "EQUALS") => Operator.Equals,
            (false, "NOT_EQUALS") => Operator.NotEquals,
            (false, "GREATER_THAN") => Operator.Greater,
            (false, "GREATER_THAN_EQUAL") => Operator.GreaterOrEqual,
            (false, "LESS_THAN") => Operator.Less,
            (false, "LESS_THAN_EQUAL") => Operator.LessOrEqual,
            (false, "EXISTS") => Operator.Exists,
            (false, "NOT_EXISTS") => Operator.NotExists,
            (false, "IN") => Operator.In,
            (false, "NOT_IN") => Operator.NotIn,
            (false, "MATCHES") => Operator.Matches,
            (false, "NOT_MATCHES") => Operator.NotMatches,
            _ => null,
        };
        if (found is null)
        {
            _position = at;
            throw Unexpected("an operator");
        }

        return found.Value;
    }

    private static readonly (string Symbol, Operator Operator)[] Symbols =
    [
        ("==", Operator.Equals),
        ("!=", Operator.NotEquals),
        (">=", Operator.GreaterOrEqual),
        ("<=", Operator.LessOrEqual),
        ("=~", Operator.Matches),
        ("!~", Operator.NotMatches),
        (">", Operator.Greater),
        ("<", Operator.Less),
    ];

    private static void CheckAllowed(Subject subject, Operator op, string word, string written, int at)
    {
        var (allowed, names) = subject switch
        {
            Subject.AgentConnected or Subject.Ec2InstanceId =>
                (op is Operator.Equals or Operator.NotEquals or Operator.In or Operator.NotIn or Operator.Matches or Operator.NotMatches,
                 "==, !=, in, !in, =~ or !~"),
            Subject.AgentVersion or Subject.RegisteredAt or Subject.RunningTasksCount =>
                (op is Operator.Equals or Operator.NotEquals or Operator.Greater or Operator.GreaterOrEqual or Operator.Less or Operator.LessOrEqual,
                 "==, !=, >, >=, < or <="),
            Subject.TaskGroup =>
                (op is not (Operator.Greater or Operator.GreaterOrEqual or Operator.Less or Operator.LessOrEqual),
                 "==, !=, in, !in, =~, !~, exists or !exists"),
            _ => (true, ""),
        };
        if (!allowed)
        {
            throw new ClusterQueryException(at, $"Invalid expression: operator '{written}' at position {at} is not valid for {word}, expected {names}.");
        }
    }

    private static QueryNode Build(Subject subject, string? attribute, Operator op, string value, int at, List<(string Value, int At)>? list)
    {
        switch (subject)
        {
            case Subject.AgentConnected:
                return BuildAgentConnected(op, value, at, list);

            case Subject.Attribute:
                return new AttributeNode(attribute!, Ordering(op) is { } order ? new OrderTest(order, value) : TextTestFor(op, value, at, list));

            case Subject.Ec2InstanceId:
                return new Ec2InstanceIdNode(TextTestFor(op, value, at, list));

            case Subject.TaskGroup:
                return op switch
                {
                    Operator.Equals => new TaskGroupEqualsNode(value),
                    Operator.NotEquals => new NotNode(new TaskGroupEqualsNode(value)),
                    Operator.In or Operator.Matches => new TaskGroupAnyNode(TextTestFor(op, value, at, list)),
                    _ => new NotNode(new TaskGroupAnyNode(TextTestFor(Positive(op), value, at, list))),
                };

            case Subject.RunningTasksCount:
                return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                    ? new RunningTasksCountNode(Comparable(op)!.Value, count)
                    : throw Invalid(at, value, "a whole number");

            case Subject.AgentVersion:
                return Versions.TryParseLiteral(value, out var version)
                    ? new AgentVersionNode(Comparable(op)!.Value, version)
                    : throw Invalid(at, value, "a version such as 1.14.5");

            default:
                return Dates.TryParse(value, out var from, out var until)
                    ? new RegisteredAtNode(Comparable(op)!.Value, from, until)
                    : throw Invalid(at, value, "a date such as 2018-06-18 or 2018-06-18T22:28:28Z");
        }
    }

    /// <summary>agentConnected has two values, so both answers are decided here and matching only picks one.</summary>
    private static AgentConnectedNode BuildAgentConnected(Operator op, string value, int at, List<(string Value, int At)>? list)
    {
        if (op is Operator.Matches or Operator.NotMatches)
        {
            var pattern = TextTestFor(op, value, at, null);
            return new AgentConnectedNode(pattern.Test("true"), pattern.Test("false"));
        }

        // true and false are case-insensitive: vet each literal and compare in lower case.
        var literals = new List<(string Value, int At)>();
        foreach (var (literal, position) in list ?? [(value, at)])
        {
            var lower = literal.ToLowerInvariant();
            if (lower is not ("true" or "false"))
            {
                throw Invalid(position, literal, "true or false");
            }

            literals.Add((lower, position));
        }

        var test = TextTestFor(op, literals[0].Value, at, literals);
        return new AgentConnectedNode(test.Test("true"), test.Test("false"));
    }

    /// <summary>The string test for ==, !=, in, !in, =~ and !~ (the negative ones wrap the positive).</summary>
    private static TextTest TextTestFor(Operator op, string value, int at, List<(string Value, int At)>? list)
    {
        TextTest test = op switch
        {
            Operator.Equals or Operator.NotEquals => new EqualsTest(value),
            Operator.In or Operator.NotIn => new InTest(list!.Select(i => i.Value).ToHashSet(StringComparer.Ordinal)),
            _ => new PatternTest(CompilePattern(value, at)),
        };
        return op is Operator.NotEquals or Operator.NotIn or Operator.NotMatches ? new NegatedTest(test) : test;
    }

    private static Pattern CompilePattern(string value, int at)
    {
        try
        {
            return Pattern.Compile(value);
        }
        catch (ArgumentException e) when (e.InnerException is NotSupportedException)
        {
            throw Invalid(at, value, "a regular expression without lookarounds or backreferences");
        }
        catch (ArgumentException)
        {
            throw Invalid(at, value, "a regular expression");
        }
    }

    private static Operator Positive(Operator op) => op switch
    {
        Operator.NotIn => Operator.In,
        Operator.NotMatches => Operator.Matches,
        _ => op,
    };

    /// <summary>The comparison an operator stands for: all six for numbers, versions and dates.</summary>
    private static Comparison? Comparable(Operator op) => op switch
    {
        Operator.Equals => Comparison.Equal,
        Operator.NotEquals => Comparison.NotEqual,
        _ => Ordering(op),
    };

    /// <summary>Only the four ordering operators: == and != on attributes stay string (in)equality.</summary>
    private static Comparison? Ordering(Operator op) => op switch
    {
        Operator.Greater => Comparison.Greater,
        Operator.GreaterOrEqual => Comparison.GreaterOrEqual,
        Operator.Less => Comparison.Less,
        Operator.LessOrEqual => Comparison.LessOrEqual,
        _ => null,
    };

    private List<(string Value, int At)> ParseList()
    {
        SkipSpace();
        if (AtEnd || Current != '[')
        {
            throw Unexpected("'['");
        }

        _position++;
        var items = new List<(string, int)>();
        while (true)
        {
            items.Add(ParseValue(inList: true));
            SkipSpace();
            if (!AtEnd && Current == ',')
            {
                _position++;
                continue;
            }

            if (!AtEnd && Current == ']')
            {
                _position++;
                return items;
            }

            throw Unexpected("',' or ']'");
        }
    }

    private (string Value, int At) ParseValue(bool inList)
    {
        SkipSpace();
        var at = _position;
        if (AtEnd)
        {
            throw Unexpected("a value");
        }

        var quote = Current;
        if (quote is '\'' or '"')
        {
            return (ReadQuoted(quote), at);
        }

        var depth = 0;
        while (!AtEnd && !char.IsWhiteSpace(Current))
        {
            var c = Current;
            if (c is '(' or '[')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                if (depth == 0)
                {
                    break;
                }

                depth--;
            }
            else if (depth == 0 && ((inList && c == ',') || IsAt("&&") || IsAt("||")))
            {
                break;
            }

            _position++;
        }

        if (_position == at)
        {
            throw Unexpected("a value");
        }

        return (text[at.._position], at);
    }

    private string ReadQuoted(char quote)
    {
        var opening = _position;
        _position++;
        var value = new System.Text.StringBuilder();
        while (!AtEnd)
        {
            var c = Current;
            if (c == quote)
            {
                _position++;
                return value.ToString();
            }

            if (c == '\\' && _position + 1 < text.Length && (text[_position + 1] == quote || text[_position + 1] == '\\'))
            {
                value.Append(text[_position + 1]);
                _position += 2;
                continue;
            }

            value.Append(c);
            _position++;
        }

        throw new ClusterQueryException(opening, $"Invalid expression: unterminated quoted value at position {opening}, expected a closing {quote}.");
    }

    /// <summary>Reads a subject or word operator: everything up to whitespace or a symbol.</summary>
    private string ReadWord()
    {
        var start = _position;
        while (!AtEnd && !char.IsWhiteSpace(Current) && !IsSymbol(Current))
        {
            _position++;
        }

        return text[start.._position];
    }

    private static bool IsSymbol(char c) => c is '(' or ')' or '[' or ']' or ',' or '\'' or '"' or '=' or '!' or '<' or '>' or '~' or '&' or '|';

    private bool TryBinary(string word, string symbol)
    {
        SkipSpace();
        if (IsAt(symbol))
        {
            _position += symbol.Length;
            return true;
        }

        return TryKeyword(word);
    }

    /// <summary>Consumes a keyword (case-insensitive) when it stands alone, not as the start of a longer word.</summary>
    private bool TryKeyword(string keyword)
    {
        if (string.Compare(text, _position, keyword, 0, keyword.Length, StringComparison.OrdinalIgnoreCase) != 0)
        {
            return false;
        }

        var end = _position + keyword.Length;
        if (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('(' or '!'))
        {
            return false;
        }

        _position = end;
        return true;
    }

    private bool IsAt(string symbol) => string.CompareOrdinal(text, _position, symbol, 0, symbol.Length) == 0;

    private void SkipSpace()
    {
        while (!AtEnd && char.IsWhiteSpace(Current))
        {
            _position++;
        }
    }

    private static ClusterQueryException Invalid(int at, string value, string expected) =>
        new(at, $"Invalid expression: invalid value '{value}' at position {at}, expected {expected}.");

    /// <summary>An error about whatever stands at the current position.</summary>
    private ClusterQueryException Unexpected(string expected)
    {
        if (AtEnd)
        {
            return new ClusterQueryException(_position, $"Invalid expression: unexpected end of expression at position {_position}, expected {expected}.");
        }

        string token;
        if (IsSymbol(Current))
        {
            var pair = _position + 1 < text.Length ? text.Substring(_position, 2) : "";
            token = pair is "==" or "!=" or ">=" or "<=" or "=~" or "!~" or "&&" or "||" ? pair : Current.ToString();
        }
        else
        {
            var end = _position;
            while (end < text.Length && !char.IsWhiteSpace(text[end]) && !IsSymbol(text[end]))
            {
                end++;
            }

            token = text[_position..end];
        }

        return new ClusterQueryException(_position, $"Invalid expression: unexpected token '{token}' at position {_position}, expected {expected}.");
    }
}

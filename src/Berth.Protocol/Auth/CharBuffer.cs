using System.Buffers;

namespace Berth.Protocol.Auth;

// A growable char buffer on pooled arrays, so building a canonical request allocates no strings.
internal ref struct CharBuffer
{
    private char[] _array;
    private int _length;

    public CharBuffer(int capacity)
    {
        _array = ArrayPool<char>.Shared.Rent(capacity);
        _length = 0;
    }

    public readonly ReadOnlySpan<char> Written => _array.AsSpan(0, _length);

    public void Append(char c)
    {
        if (_length == _array.Length)
        {
            Grow(1);
        }

        _array[_length++] = c;
    }

    public void Append(scoped ReadOnlySpan<char> text)
    {
        if (_length + text.Length > _array.Length)
        {
            Grow(text.Length);
        }

        text.CopyTo(_array.AsSpan(_length));
        _length += text.Length;
    }

    public void AppendPercentEncoded(byte b)
    {
        if (_length + 3 > _array.Length)
        {
            Grow(3);
        }

        _array[_length] = '%';
        _array[_length + 1] = "0123456789ABCDEF"[b >> 4];
        _array[_length + 2] = "0123456789ABCDEF"[b & 0xF];
        _length += 3;
    }

    public override readonly string ToString() => new(Written);

    public void Dispose()
    {
        var array = _array;
        _array = [];
        if (array.Length > 0)
        {
            ArrayPool<char>.Shared.Return(array);
        }
    }

    private void Grow(int needed)
    {
        var bigger = ArrayPool<char>.Shared.Rent(Math.Max(_array.Length * 2, _length + needed));
        Written.CopyTo(bigger);
        ArrayPool<char>.Shared.Return(_array);
        _array = bigger;
    }
}

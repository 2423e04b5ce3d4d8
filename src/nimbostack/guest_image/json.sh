#!/bin/sh
# Tiny JSON reader for the Nimbostack guest (busybox has no jq).
#   json get KEY FILE   value of top-level key KEY (exit 1 if absent)
#   json values FILE    every top-level value of an object/array, one per line
# Strings are printed unescaped, objects/arrays as raw JSON text.  Only the
# top level is searched, so a user-set "meta" entry cannot shadow "hostname".

case "$1" in
    get) mode=get key=$2 file=$3 ;;
    values) mode=values key= file=$2 ;;
    *) echo "usage: json get KEY FILE | json values FILE" >&2; exit 2 ;;
esac

exec awk -v mode="$mode" -v key="$key" '
{ text = text $0 "\n" }

function skip_ws(p) {
    while (p <= n && index(" \t\r\n", substr(text, p, 1)) > 0)
        p++
    return p
}

# Index of the closing quote of the string whose opening quote is at p.
function string_end(p,    c) {
    p++
    while (p <= n) {
        c = substr(text, p, 1)
        if (c == "\\")
            p += 2
        else if (c == "\"")
            return p
        else
            p++
    }
    return n
}

# Index of the last character of the value starting at p.
function value_end(p,    c, depth) {
    c = substr(text, p, 1)
    if (c == "\"")
        return string_end(p)
    if (c == "{" || c == "[") {
        depth = 0
        while (p <= n) {
            c = substr(text, p, 1)
            if (c == "\"")
                p = string_end(p)
            else if (c == "{" || c == "[")
                depth++
            else if (c == "}" || c == "]") {
                depth--
                if (depth == 0)
                    return p
            }
            p++
        }
        return n
    }
    while (p < n && index(",}] \t\r\n", substr(text, p + 1, 1)) == 0)
        p++
    return p
}

function unquote(s,    out, i, c, e) {
    if (substr(s, 1, 1) != "\"")
        return s
    s = substr(s, 2, length(s) - 2)
    out = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c != "\\") {
            out = out c
            continue
        }
        i++
        e = substr(s, i, 1)
        if (e == "n")
            out = out "\n"
        else if (e == "t")
            out = out "\t"
        else if (e == "r")
            out = out "\r"
        else if (e == "u") {
            # Non-ASCII is not needed for hostnames or ssh keys.
            out = out "?"
            i += 4
        } else
            out = out e
    }
    return out
}

END {
    n = length(text)
    p = skip_ws(1)
    open = substr(text, p, 1)
    if (open != "{" && open != "[")
        exit 1
    p = skip_ws(p + 1)
    found = 0
    while (p <= n && index("}]", substr(text, p, 1)) == 0) {
        k = ""
        if (open == "{") {
            e = string_end(p)
            k = unquote(substr(text, p, e - p + 1))
            p = skip_ws(skip_ws(e + 1) + 1)
        }
        e = value_end(p)
        v = substr(text, p, e - p + 1)
        if (mode == "values")
            print unquote(v)
        else if (k == key) {
            print unquote(v)
            found = 1
            break
        }
        p = skip_ws(e + 1)
        if (substr(text, p, 1) == ",")
            p = skip_ws(p + 1)
    }
    if (mode == "get" && !found)
        exit 1
}
' "$file"

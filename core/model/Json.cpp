#include "model/Json.h"

#include <string_view>

namespace sd {

qsizetype jsonTooDeepAt(const char *begin, const char *end)
{
    int depth = 0;
    bool inString = false;
    for (const char *p = begin; p < end; ++p) {
        const char c = *p;
        if (inString) {
            if (c == '\\')
                ++p; // the escaped character cannot end the string
            else if (c == '"')
                inString = false;
            continue;
        }
        switch (c) {
        case '"':
            inString = true;
            break;
        case '[':
        case '{':
            if (++depth > kMaxJsonDepth)
                return p - begin;
            break;
        case ']':
        case '}':
            --depth;
            break;
        default:
            break;
        }
    }
    return -1;
}

namespace {

std::string tooDeepMessage()
{
    return "values are nested more than " + std::to_string(kMaxJsonDepth) + " levels deep";
}

} // namespace

Json parseJson(const char *begin, const char *end)
{
    if (const qsizetype at = jsonTooDeepAt(begin, end); at >= 0) {
        // Same shape as nlohmann's own syntax errors, so callers report both alike.
        throw Json::parse_error::create(101, size_t(at) + 1,
                                        "syntax error while parsing value - " + tooDeepMessage(), nullptr);
    }
    try {
        return Json::parse(begin, end);
    } catch (const Json::out_of_range &e) {
        // A number too large for a double (1e999) is nlohmann's out_of_range
        // 406, not a parse_error: every caller catches parse_error only, so a
        // stored value such as {"n": 1e999} crashed each reader. Reported as
        // a syntax error at the number, like any other bad input.
        const std::string what = e.what();
        std::string number;
        if (const auto q = what.find('\''); q != std::string::npos)
            number = what.substr(q + 1, what.rfind('\'') > q ? what.rfind('\'') - q - 1 : std::string::npos);
        const std::string_view text(begin, size_t(end - begin));
        const size_t at = number.empty() ? std::string_view::npos : text.find(number);
        throw Json::parse_error::create(101, at == std::string_view::npos ? 1 : at + 1,
                                        "syntax error while parsing value - the number " + number
                                            + " is too large",
                                        nullptr);
    }
}

Json parseJsonOrDiscarded(const char *begin, const char *end)
{
    if (jsonTooDeepAt(begin, end) >= 0)
        return Json(Json::value_t::discarded);
    return Json::parse(begin, end, nullptr, false);
}

} // namespace sd

#include "model/Json.h"

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
    return Json::parse(begin, end);
}

Json parseJsonOrDiscarded(const char *begin, const char *end)
{
    if (jsonTooDeepAt(begin, end) >= 0)
        return Json(Json::value_t::discarded);
    return Json::parse(begin, end, nullptr, false);
}

} // namespace sd

#pragma once

#include "model/Error.h"

#include <optional>
#include <utility>
#include <variant>

namespace sd {

namespace detail {
// What error() answers for a success: asking is harmless (test macros and
// log lines build their messages before checking ok()).
inline const Error &noError()
{
    static const Error none(ErrorKind::Internal, QStringLiteral("no error"));
    return none;
}
} // namespace detail

// A value or an Error. Default-constructible so it can travel through QFuture.
template <typename T>
class [[nodiscard]] Result {
public:
    Result() : m_data(Error(ErrorKind::Internal, QStringLiteral("result was never set"))) {}
    Result(T value) : m_data(std::move(value)) {}
    Result(Error error) : m_data(std::move(error)) {}

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_data); }
    T &value() & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const T *operator->() const { return &value(); }
    T *operator->() { return &value(); }

    const Error &error() const { return ok() ? detail::noError() : std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {}

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return m_error ? *m_error : detail::noError(); }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace sd

#include "Output.h"

#include "model/Codec.h"
#include "util/YamlJson.h"

#include <QDateTime>

#include <unistd.h>

namespace sd::ctl {

int exitCodeFor(const Error &e)
{
    if (e.reason == QLatin1String("MaxIterationsReached"))
        return ExitMaxIterations;
    if (e.reason == QLatin1String("DeserializationError"))
        return ExitBadState;
    if (e.reason == QLatin1String("ValidationError"))
        return ExitInvalidState;
    switch (e.kind) {
    case ErrorKind::NotFound: return ExitNotFound;
    case ErrorKind::Conflict:
    case ErrorKind::AlreadyExists:
    case ErrorKind::Busy: return ExitConflict;
    default: return ExitError;
    }
}

bool isTerminal(FILE *f)
{
    return ::isatty(::fileno(f)) == 1;
}

void printOut(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
}

void printErr(const QString &line)
{
    const QByteArray b = line.toLocal8Bit() + '\n';
    std::fwrite(b.constData(), 1, size_t(b.size()), stderr);
}

void printError(const Error &e, bool hints)
{
    printErr(QStringLiteral("statedeckctl: error: ") + e.toString());
    if (!hints)
        return;
    switch (e.kind) {
    case ErrorKind::Conflict:
        printErr(QStringLiteral("hint: read the key again (statedeckctl get), then retry with --if-revision "
                                "set to the revision you read"));
        break;
    case ErrorKind::Busy:
        printErr(QStringLiteral("hint: another holder has it; retry later"));
        break;
    default:
        break;
    }
}

Json entryToJson(const Entry &e, bool withValue)
{
    Json j = Json::object();
    j["key"] = toStd(e.key);
    if (withValue)
        j["value"] = e.value;
    j["encoding"] = toStd(encodingName(e.encoding));
    j["revision"] = toStd(e.revision);
    if (e.updated.isValid())
        j["updated"] = toStd(e.updated.toUTC().toString(Qt::ISODateWithMs));
    auto addMap = [&j](const char *name, const QMap<QString, QString> &map) {
        if (map.isEmpty())
            return;
        Json &out = j[name] = Json::object();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            out[toStd(it.key())] = toStd(it.value());
    };
    addMap("labels", e.labels);
    addMap("annotations", e.annotations);
    return j;
}

QByteArray valueForDisplay(const Entry &e)
{
    if ((e.encoding == Encoding::Text || e.encoding == Encoding::Base64) && e.value.is_string()) {
        QByteArray b = toBytes(e.value.get<std::string>());
        if (!b.endsWith('\n'))
            b.append('\n');
        return b;
    }
    return toBytes(e.value.dump(2, ' ', false, Json::error_handler_t::replace)) + '\n';
}

void Table::flush()
{
    if (m_widths.isEmpty()) {
        for (const QString &h : std::as_const(m_headers))
            m_widths << int(h.size());
        for (const QStringList &r : std::as_const(m_rows))
            for (int i = 0; i < r.size() && i < m_widths.size(); ++i)
                m_widths[i] = std::max(m_widths[i], int(r[i].size()));
    }
    auto line = [this](const QStringList &cells) -> QByteArray {
        QString s;
        for (int i = 0; i < cells.size(); ++i) {
            if (i + 1 < cells.size())
                s += cells[i].leftJustified(m_widths.value(i)) + QStringLiteral("   ");
            else
                s += cells[i];
        }
        return s.toUtf8() + '\n';
    };
    QByteArray out;
    if (!m_headerDone) {
        out += line(m_headers);
        m_headerDone = true;
    }
    for (const QStringList &r : std::as_const(m_rows))
        out += line(r);
    m_rows.clear();
    printOut(out);
}

Progress::Progress(bool enabled) : m_enabled(enabled) {}

Progress::~Progress()
{
    done();
}

void Progress::update(const QString &text)
{
    if (!m_enabled)
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - m_lastDrawMs < 100)
        return;
    m_lastDrawMs = now;
    const QByteArray b = "\r\033[K" + text.toLocal8Bit();
    std::fwrite(b.constData(), 1, size_t(b.size()), stderr);
    std::fflush(stderr);
    m_drawn = true;
}

void Progress::done()
{
    if (m_drawn) {
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
        m_drawn = false;
    }
}

} // namespace sd::ctl

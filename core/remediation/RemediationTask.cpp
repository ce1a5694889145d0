#include "remediation/RemediationTask.h"

#include <map>

namespace sd::remediation {
namespace {

const Json &member(const Json &obj, const char *name)
{
    static const Json none;
    if (!obj.is_object())
        return none;
    const auto it = obj.find(name);
    return it == obj.end() ? none : *it;
}

QString text(const Json &v)
{
    if (v.is_string())
        return toQString(v.get<std::string>());
    if (v.is_number_unsigned())
        return QString::number(v.get<quint64>());
    if (v.is_number_integer())
        return QString::number(v.get<qint64>());
    return {};
}

// serde's u32/u64: a JSON integer that is not negative. (nlohmann keeps
// parsed numbers unsigned and assigned ints signed; both count.)
std::optional<quint64> nonNegative(const Json &v)
{
    if (v.is_number_unsigned())
        return v.get<quint64>();
    if (v.is_number_integer() && v.get<qint64>() >= 0)
        return quint64(v.get<qint64>());
    return std::nullopt;
}

QString dataString(const Entry &e, const char *key)
{
    return text(member(e.value, key));
}

QString jsonTypeName(const Json &v)
{
    switch (v.type()) {
    case Json::value_t::null: return QStringLiteral("null");
    case Json::value_t::boolean: return QStringLiteral("a boolean");
    case Json::value_t::string: return QStringLiteral("a string");
    case Json::value_t::array: return QStringLiteral("an array");
    case Json::value_t::object: return QStringLiteral("an object");
    case Json::value_t::number_float: return QStringLiteral("a floating-point number");
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return QStringLiteral("an integer");
    default: return QStringLiteral("something else");
    }
}

// Line and column (1-based) of a byte offset, as editors count them.
QString position(const QByteArray &bytes, qsizetype offset)
{
    int line = 1;
    qsizetype lineStart = 0;
    for (qsizetype i = 0; i < offset && i < bytes.size(); ++i)
        if (bytes.at(i) == '\n') {
            ++line;
            lineStart = i + 1;
        }
    const int column = int(QString::fromUtf8(bytes.mid(lineStart, offset - lineStart)).size()) + 1;
    return QStringLiteral("%1:%2").arg(line).arg(column);
}

} // namespace

QByteArray serdePretty(const Json &value)
{
    return toBytes(value.dump(2, ' ', false, Json::error_handler_t::replace));
}

qsizetype configMapDataSize(const Entry &entry)
{
    qsizetype total = 0;
    if (!entry.value.is_object())
        return toBytes(entry.value.dump()).size();
    for (const auto &m : entry.value.items())
        total += qsizetype(m.key().size()) + (m.value().is_string() ? qsizetype(m.value().get_ref<const std::string &>().size())
                                                                     : qsizetype(m.value().dump().size()));
    return total;
}

Result<RemediationTask> RemediationTask::fromEntry(const Entry &entry)
{
    const auto schema = detectSchema(entry);
    if (!schema)
        return Error(ErrorKind::Invalid,
                     QStringLiteral("not remediation state: expected the labels app=remediation-state or "
                                    "app=remediation-loop, or a state.json beside last_update or updated_at"),
                     entry.key);
    RemediationTask t;
    t.m_entry = entry;
    t.m_schema = *schema;
    const auto nameParts = parseConfigMapName(entry.key);

    const Json &stateJson = member(entry.value, "state.json");
    if (!stateJson.is_string()) {
        t.m_stateError = Error(ErrorKind::Invalid, QStringLiteral("the task has no state.json"),
                               entry.key + QStringLiteral("/state.json"))
                             .withReason(reason::deserialization);
    } else {
        t.m_stateText = toQString(stateJson.get<std::string>());
        const QByteArray bytes = t.m_stateText.toUtf8();
        try {
            t.m_state = parseJson(bytes.constBegin(), bytes.constEnd());
            if (!t.m_state.is_object())
                t.m_stateError = Error(ErrorKind::Invalid,
                                       QStringLiteral("state.json holds %1, expected an object").arg(jsonTypeName(t.m_state)),
                                       entry.key + QStringLiteral("/state.json:1:1"))
                                     .withReason(reason::deserialization);
            else
                t.m_stateAsRead = t.m_state;
        } catch (const Json::parse_error &e) {
            QString what = QString::fromUtf8(e.what());
            // "[json.exception.parse_error.101] parse error at line 3, column 7: syntax error ..."
            if (const qsizetype colon = what.indexOf(QLatin1String(": ")); colon > 0)
                what = what.mid(colon + 2);
            const qsizetype at = e.byte > 0 ? qsizetype(e.byte) - 1 : 0;
            t.m_stateError = Error(ErrorKind::Invalid, QStringLiteral("state.json does not parse: %1").arg(what),
                                   entry.key + QStringLiteral("/state.json:") + position(bytes, at))
                                 .withReason(reason::deserialization);
            t.m_state = Json();
        }
    }

    t.m_taskId = entry.labels.value(QStringLiteral("task-id"));
    if (t.m_taskId.isEmpty())
        t.m_taskId = text(member(t.m_state, "task_id"));
    if (t.m_taskId.isEmpty())
        t.m_taskId = dataString(entry, "task_id");
    if (t.m_taskId.isEmpty() && nameParts)
        t.m_taskId = nameParts->taskId;
    if (t.m_schema == Schema::Controller) {
        bool ok = false;
        t.m_prNumber = entry.labels.value(QStringLiteral("pr-number")).toLongLong(&ok);
        if (const auto pr = nonNegative(member(t.m_state, "pr_number")); !ok && pr)
            t.m_prNumber = qint64(*pr), ok = true;
        if (!ok)
            t.m_prNumber = nameParts ? nameParts->prNumber : -1;
    }
    return t;
}

RemediationTask RemediationTask::create(Schema schema, const QString &taskId, qint64 prNumber, int maxIterations,
                                        const UtcTime &now)
{
    RemediationTask t;
    t.m_schema = schema;
    t.m_taskId = taskId;
    t.m_prNumber = schema == Schema::Controller ? prNumber : -1;
    t.m_entry.key = configMapName(schema, taskId, prNumber);
    t.m_entry.encoding = Encoding::Json;
    t.m_entry.value = Json::object();
    t.m_entry.labels = labelsFor(schema, taskId, prNumber);
    t.m_entry.annotations = annotationsFor(schema);
    t.m_state = Json();
    t.m_stateAsRead = Json();
    t.resetState(now);
    if (schema == Schema::Controller)
        t.m_state["max_iterations"] = maxIterations > 0 ? maxIterations : kControllerDefaultMaxIterations;
    return t;
}

void RemediationTask::resetState(const UtcTime &now)
{
    const std::string id = toStd(m_taskId);
    if (m_schema == Schema::Seed) {
        m_state = Json{{"task_id", id},
                       {"iteration", 0},
                       {"status", "Initialized"},
                       {"feedback_history", Json::array()},
                       {"last_update", toStd(now.toSerde())},
                       {"error_messages", Json::array()},
                       {"metadata", Json::object()},
                       {"version", kStateVersion}};
    } else {
        m_state = Json{{"workflow_id", toStd(QStringLiteral("remediation-%1-%2").arg(m_prNumber).arg(m_taskId))},
                       {"pr_number", m_prNumber < 0 ? 0 : m_prNumber},
                       {"task_id", id},
                       {"iteration", 0},
                       {"max_iterations", kControllerDefaultMaxIterations},
                       {"status", "WaitingForFeedback"},
                       {"started_at", toStd(now.toSerde())},
                       {"updated_at", toStd(now.toSerde())},
                       {"feedback_history", Json::array()},
                       {"active_run", nullptr},
                       {"metadata", Json::object()}};
    }
    m_stateError.reset();
}

int RemediationTask::iteration() const
{
    const auto v = nonNegative(member(m_state, "iteration"));
    return v ? int(qMin<quint64>(*v, INT_MAX)) : 0;
}

int RemediationTask::maxIterations() const
{
    if (m_schema == Schema::Seed)
        return kSeedMaxIterations;
    const auto v = nonNegative(member(m_state, "max_iterations"));
    return v ? int(qMin<quint64>(*v, INT_MAX)) : kControllerDefaultMaxIterations;
}

QString RemediationTask::status() const
{
    QString s = text(member(m_state, "status"));
    if (s.isEmpty() && m_schema == Schema::Controller)
        s = dataString(m_entry, "status");
    return s;
}

QString RemediationTask::lastUpdateText() const
{
    const char *field = m_schema == Schema::Seed ? "last_update" : "updated_at";
    // The data key is what cleanup reads; it is also there when state.json
    // is broken.
    QString t = dataString(m_entry, field);
    if (t.isEmpty())
        t = text(member(m_state, field));
    return t;
}

std::optional<UtcTime> RemediationTask::lastUpdate() const
{
    return UtcTime::parse(lastUpdateText());
}

QList<FeedbackView> RemediationTask::feedback() const
{
    QList<FeedbackView> out;
    const Json &history = member(m_state, "feedback_history");
    if (!history.is_array())
        return out;
    int index = 0;
    for (const Json &f : history) {
        FeedbackView v;
        v.index = ++index;
        v.author = text(member(f, "author"));
        if (m_schema == Schema::Seed) {
            v.commentId = text(member(f, "pr_comment_id"));
            v.severity = text(member(f, "severity"));
            v.issueType = text(member(f, "issue_type"));
            v.description = text(member(f, "description"));
            v.resolved = member(f, "resolved").is_boolean() && member(f, "resolved").get<bool>();
            v.status = v.resolved ? QStringLiteral("Resolved") : QStringLiteral("Open");
            v.timestampText = text(member(f, "timestamp"));
        } else {
            const Json &fb = member(f, "feedback");
            v.id = text(member(f, "id"));
            v.commentId = text(member(f, "comment_id"));
            v.severity = text(member(fb, "severity"));
            v.issueType = text(member(fb, "issue_type"));
            v.description = text(member(fb, "description"));
            v.status = text(member(f, "status"));
            v.resolved = v.status == QLatin1String("Resolved");
            v.timestampText = text(member(f, "received_at"));
            if (const auto it = nonNegative(member(f, "iteration")))
                v.iteration = int(*it);
        }
        v.timestamp = UtcTime::parse(v.timestampText);
        out.append(v);
    }
    return out;
}

Status RemediationTask::validateFields() const
{
    if (m_stateError)
        return *m_stateError;
    const QString where = m_entry.key + QStringLiteral("/state.json");
    auto bad = [&](const QString &what) {
        return Error(ErrorKind::Invalid, what, where).withReason(reason::deserialization);
    };
    auto requireUnsigned = [&](const char *field) -> Status {
        const Json &v = member(m_state, field);
        if (!nonNegative(v))
            return bad(QStringLiteral("field %1: expected a non-negative integer, found %2")
                           .arg(QLatin1String(field), v.is_null() && !m_state.contains(field)
                                                          ? QStringLiteral("nothing (missing field)")
                                                          : jsonTypeName(v)));
        return {};
    };
    if (Status s = requireUnsigned("iteration"); !s.ok())
        return s;
    if (m_schema == Schema::Controller)
        if (Status s = requireUnsigned("max_iterations"); !s.ok())
            return s;
    const QString st = text(member(m_state, "status"));
    if (!statuses(m_schema).contains(st))
        return bad(QStringLiteral("field status: unknown variant \"%1\", expected one of %2")
                       .arg(st, statuses(m_schema).join(QStringLiteral(", "))));
    if (!member(m_state, "feedback_history").is_array())
        return bad(QStringLiteral("field feedback_history: expected an array, found %1")
                       .arg(jsonTypeName(member(m_state, "feedback_history"))));
    if (!member(m_state, "metadata").is_object())
        return bad(QStringLiteral("field metadata: expected an object of strings, found %1")
                       .arg(jsonTypeName(member(m_state, "metadata"))));
    return {};
}

qsizetype RemediationTask::compactStateSize() const
{
    return qsizetype(m_state.dump(-1, ' ', false, Json::error_handler_t::replace).size());
}

Result<Entry> RemediationTask::toEntry(const UtcTime &now) const
{
    Entry out = m_entry;
    out.raw.clear();
    out.encoding = Encoding::Json;
    if (!out.value.is_object())
        out.value = Json::object();
    QByteArray stateText;
    if (!m_stateAsRead.is_null() && m_state == m_stateAsRead) {
        stateText = m_stateText.toUtf8();
    } else {
        stateText = serdePretty(m_state);
        // Keep the file's habit: a YAML block scalar (`state.json: |`) ends in a newline.
        if (m_stateText.endsWith(QLatin1Char('\n')))
            stateText += '\n';
    }
    // New data keys go in sorted order, as the API server shows them;
    // existing keys keep their place.
    std::map<std::string, std::string> fields;
    fields["state.json"] = toStd(stateText);
    fields["iteration"] = std::to_string(iteration());
    if (m_schema == Schema::Seed) {
        fields["last_update"] = toStd(now.toRfc3339());
        fields["task_id"] = toStd(m_taskId);
    } else {
        const auto updated = UtcTime::parse(text(member(m_state, "updated_at")));
        fields["status"] = toStd(text(member(m_state, "status")));
        fields["updated_at"] = toStd((updated ? *updated : now).toRfc3339());
        fields["workflow_id"] = toStd(text(member(m_state, "workflow_id")));
    }
    for (auto &[key, value] : fields)
        out.value[key] = std::move(value);
    if (out.labels.isEmpty())
        out.labels = labelsFor(m_schema, m_taskId, m_prNumber);
    if (const qsizetype size = configMapDataSize(out); size > kMaxConfigMapBytes)
        return Error(ErrorKind::TooLarge,
                     QStringLiteral("the task's data would be %1 bytes; a ConfigMap holds at most %2 bytes (1 MiB). "
                                    "Nothing was written.")
                         .arg(size)
                         .arg(kMaxConfigMapBytes),
                     out.key)
            .withReason(reason::validation);
    return out;
}

} // namespace sd::remediation

#include "transfer/Verifier.h"

#include "providers/Provider.h"
#include "transfer/EntrySource.h"
#include "transfer/Fetch.h"
#include "transfer/TargetLookup.h"

namespace sd {

Verifier::Verifier(Provider *source, Provider *target, VerifyOptions options, QObject *parent)
    : QObject(parent), m_source(source), m_target(target), m_options(std::move(options))
{
    m_form = TargetForm::between(source->capabilities().keySeparator, target->scheme(), target->capabilities(),
                                 m_options.keys);
}

Verifier::~Verifier() = default;

QFuture<Result<VerifyReport>> Verifier::run()
{
    m_promise.start();
    m_pages = std::make_unique<ProviderSource>(m_source, this, m_options.prefix);
    m_lookup = std::make_unique<TargetLookup>(
        m_target, this, translatePrefix(m_options.prefix, m_form.sourceSeparator, m_form.targetSeparator, m_options.keys));
    countKeys(m_source, this, m_options.prefix).then(this, [this](Result<qint64> n) {
        if (n.ok())
            m_meter.setTotal(n.value());
    });
    compareNext();
    return m_promise.future();
}

void Verifier::compareNext()
{
    if (m_cancelled)
        return finish(Error(ErrorKind::Cancelled, QStringLiteral("cancelled")));
    m_pages->next().then(this, [this](Result<SourcePage> page) { onPage(std::move(page)); });
}

void Verifier::problem(KeyOutcome o)
{
    switch (o.kind) {
    case KeyOutcome::Kind::Missing: ++m_report.missing; break;
    case KeyOutcome::Kind::Differs: ++m_report.differs; break;
    case KeyOutcome::Kind::Extra: ++m_report.extra; break;
    default: break;
    }
    if (m_report.problems.size() < TransferReport::kMaxProblems)
        m_report.problems << o;
    Q_EMIT outcome(o);
}

void Verifier::onPage(Result<SourcePage> page)
{
    if (!page.ok())
        return finish(page.error());
    auto shared = std::make_shared<SourcePage>(std::move(page).value());
    QStringList keys;
    QList<Entry> expected;
    for (const Entry &e : std::as_const(shared->entries)) {
        Result<Entry> t = entryForTarget(e, m_form);
        if (!t.ok()) {
            // A key the target cannot spell was refused by the migration
            // too: it is missing there.
            ++m_untranslatable;
            KeyOutcome o;
            o.kind = KeyOutcome::Kind::Missing;
            o.key = e.key;
            o.sourceKey = e.key;
            o.after = e;
            o.error = t.error();
            problem(o);
            continue;
        }
        keys << t->key;
        expected << t.value();
    }
    m_lookup->lookup(keys).then(this, [this, shared, expected](const QList<Result<Entry>> &found) {
        for (qsizetype i = 0; i < expected.size(); ++i) {
            ++m_report.compared;
            const Result<Entry> &r = found[i];
            KeyOutcome o;
            o.key = expected[i].key;
            o.after = expected[i];
            if (!r.ok()) {
                if (r.error().kind != ErrorKind::NotFound)
                    return finish(r.error());
                o.kind = KeyOutcome::Kind::Missing;
                problem(o);
                continue;
            }
            if (sameContent(r.value(), expected[i])) {
                ++m_report.same;
                continue;
            }
            o.kind = KeyOutcome::Kind::Differs;
            o.before = r.value();
            problem(o);
        }
        Q_EMIT progress(m_meter.update(m_report.compared + m_untranslatable));
        if (!shared->last)
            return compareNext();
        if (!m_options.extras)
            return finish(std::nullopt);
        checkExtras();
    });
}

void Verifier::checkExtras()
{
    m_report.extrasChecked = true;
    const QString prefix = translatePrefix(m_options.prefix, m_form.sourceSeparator, m_form.targetSeparator,
                                           m_options.keys);
    countKeys(m_target, this, prefix).then(this, [this](Result<qint64> n) {
        if (!n.ok())
            return finish(n.error());
        // Each source key maps to one target key, so when the target holds
        // exactly the keys found there it holds nothing more.
        m_targetKeys = n.value();
        const qint64 found = m_report.compared - (m_report.missing - m_untranslatable);
        if (m_targetKeys == found)
            return finish(std::nullopt);
        m_meter = ProgressMeter(QStringLiteral("extras"));
        m_meter.setTotal(m_targetKeys);
        extrasNext(QString());
    });
}

void Verifier::extrasNext(const QString &cursor)
{
    if (m_cancelled)
        return finish(Error(ErrorKind::Cancelled, QStringLiteral("cancelled")));
    ListOptions options;
    options.prefix = translatePrefix(m_options.prefix, m_form.sourceSeparator, m_form.targetSeparator, m_options.keys);
    options.cursor = cursor;
    options.keysOnly = true;
    options.namesOnly = true;
    options.limit = 1000;
    m_target->list(options).then(this, [this](Result<ListPage> page) {
        if (!page.ok())
            return finish(page.error());
        auto shared = std::make_shared<ListPage>(std::move(page).value());
        QStringList sourceKeys;
        QList<qsizetype> index;
        for (qsizetype i = 0; i < shared->entries.size(); ++i) {
            Result<QString> k = sourceKeyFor(shared->entries[i].key, m_form);
            if (!k.ok() || !k->startsWith(m_options.prefix)) {
                // No source key could have become this one.
                KeyOutcome o;
                o.kind = KeyOutcome::Kind::Extra;
                o.key = shared->entries[i].key;
                o.before = shared->entries[i];
                problem(o);
                continue;
            }
            sourceKeys << k.value();
            index << i;
        }
        fetchAll(m_source, this, sourceKeys).then(this, [this, shared, index](const QList<Result<Entry>> &found) {
            for (qsizetype j = 0; j < index.size(); ++j) {
                if (found[j].ok())
                    continue;
                if (found[j].error().kind != ErrorKind::NotFound)
                    return finish(found[j].error());
                KeyOutcome o;
                o.kind = KeyOutcome::Kind::Extra;
                o.key = shared->entries[index[j]].key;
                o.before = shared->entries[index[j]];
                problem(o);
            }
            if (shared->nextCursor.isEmpty())
                return finish(std::nullopt);
            extrasNext(shared->nextCursor);
        });
    });
}

void Verifier::finish(std::optional<Error> error)
{
    if (m_finished)
        return;
    m_finished = true;
    if (error)
        m_promise.addResult(Result<VerifyReport>(*error));
    else
        m_promise.addResult(Result<VerifyReport>(m_report));
    m_promise.finish();
}

} // namespace sd

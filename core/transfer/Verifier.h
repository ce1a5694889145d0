#pragma once

#include "providers/form/EntryForm.h"
#include "transfer/ProgressMeter.h"
#include "transfer/TransferTypes.h"

#include <QFuture>
#include <QObject>
#include <QPromise>

#include <memory>

namespace sd {

class EntrySource;
class Provider;
class TargetLookup;
struct SourcePage;

struct VerifyOptions {
    QString prefix; // in the source's form
    KeyTranslation keys = KeyTranslation::Auto;
    // Look for keys under the prefix that the target holds and the source
    // does not. Costs a keys-only listing of the target (and, only when the
    // counts disagree, a lookup in the source per target key).
    bool extras = true;
};

// Compares a source and a target entry by entry, as a migration left them:
// every source key under the prefix is looked up in the target (its key
// translated as the migration translates it) and compared with
// sameContent(). Missing and differing keys are reported as outcome events
// (with both entries, for a diff), then extra ones.
class Verifier : public QObject {
    Q_OBJECT
public:
    Verifier(Provider *source, Provider *target, VerifyOptions options, QObject *parent = nullptr);
    ~Verifier() override;

    QFuture<Result<VerifyReport>> run();
    void cancel() { m_cancelled = true; }

Q_SIGNALS:
    void progress(const sd::TransferProgress &progress);
    void outcome(const sd::KeyOutcome &outcome);

private:
    void compareNext();
    void onPage(Result<SourcePage> page);
    void checkExtras();
    void extrasNext(const QString &cursor);
    void problem(KeyOutcome o);
    void finish(std::optional<Error> error);

    Provider *m_source;
    Provider *m_target;
    VerifyOptions m_options;
    TargetForm m_form;
    std::unique_ptr<EntrySource> m_pages;
    std::unique_ptr<TargetLookup> m_lookup;
    QPromise<Result<VerifyReport>> m_promise;
    VerifyReport m_report;
    ProgressMeter m_meter{QStringLiteral("compare")};
    qint64 m_untranslatable = 0;
    qint64 m_targetKeys = 0;
    bool m_cancelled = false;
    bool m_finished = false;
};

} // namespace sd

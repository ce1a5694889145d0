#pragma once

#include "config/StoreSpec.h"
#include "providers/Provider.h"

#include <QObject>
#include <QTemporaryDir>

#include <memory>

namespace sd::test {

// The behaviour every provider promises, as one Qt Test class. A suite for a
// backend derives from it, says how to open a fresh store, and gets every
// test below. Keys go through key() so stores with a key grammar (yaml's
// `<name>.<path>`) get keys they accept.
class ProviderContract : public QObject {
    Q_OBJECT
public:
    // A store spec for an empty store in `dir`; two providers opened from the
    // same spec see the same data (also from another process).
    virtual StoreSpec freshStore(const QString &dir) = 0;
    // A spec whose store cannot be reached or opened.
    virtual StoreSpec unavailableStore(const QString &dir) = 0;
    virtual QString key(const QString &base) const { return base; }
    // Whether a value's object members come back in the order written. A
    // Kubernetes ConfigMap's data is a map the API server returns sorted.
    virtual bool preservesKeyOrder() const { return true; }
    // How many keys the paging test lists (the issue asks for 10k).
    virtual int pagingKeyCount() const { return 10000; }
    // Fills the store quickly (bypassing the provider) for the paging test;
    // returns false to fall back to put().
    virtual bool seedDirectly(const QString &dir, const QList<QString> &keys) { return false; }

protected:
    std::unique_ptr<Provider> open();
    StoreSpec spec() const { return m_spec; }

private Q_SLOTS:
    void init();
    void cleanup();

    void testRoundTrip_data();
    void testRoundTrip();
    void testRevisionChangesOnWrite();
    void testRevisionScope();
    void testCompareAndSwapConflict();
    void testMustNotExist();
    void testRemove();
    void testBadKeys_data();
    void testBadKeys();
    void testSizeLimitBoundary_data();
    void testSizeLimitBoundary();
    void testPaging();
    void testWatchOrder();
    void testWatchResume();
    void testTwoProcessesLoseNoUpdate();
    void testLocks();
    void testLockHolderProcessDies();
    void testLockRenewal();
    void testUnavailableStore();
    void testBatchMixedPreconditions();
    void testBatchThousand();
    void testBatchDuplicateKeyLastWins();
    void testBatchWatchSeesEveryEntry();
    void testBatchBadItemFailsAlone_data();
    void testBatchBadItemFailsAlone();
    void testBatchEmpty();
    void testKeyHistory();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    StoreSpec m_spec;
};

// Runs `sd-incrementer` style helpers: a spec as command-line arguments.
QStringList specArguments(const StoreSpec &spec);

} // namespace sd::test

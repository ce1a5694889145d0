#pragma once

#include "providers/ForwardingProvider.h"

namespace sd {

// A store whose values are secrets although its backend does not say so
// (`sensitive: true` on a connection: a SQLite or YAML store of tokens and
// passwords). capabilities().sensitive is set, so front ends mask values
// until revealed, dry runs and diffs are masked, and migrations treat them
// as they treat Kubernetes Secrets. Everything else goes to the wrapped
// store unchanged.
class SensitiveProvider : public ForwardingProvider {
    Q_OBJECT
public:
    explicit SensitiveProvider(std::unique_ptr<Provider> inner, QObject *parent = nullptr);

    Capabilities capabilities() const override;
};

// `inner`, marked sensitive; returned as it is when it is sensitive already.
std::unique_ptr<Provider> makeSensitive(std::unique_ptr<Provider> inner);

} // namespace sd

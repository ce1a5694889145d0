#include "providers/sensitive/SensitiveProvider.h"

namespace sd {

SensitiveProvider::SensitiveProvider(std::unique_ptr<Provider> inner, QObject *parent)
    : ForwardingProvider(std::move(inner), parent)
{
}

Capabilities SensitiveProvider::capabilities() const
{
    Capabilities c = ForwardingProvider::capabilities();
    c.sensitive = true;
    return c;
}

std::unique_ptr<Provider> makeSensitive(std::unique_ptr<Provider> inner)
{
    if (!inner || inner->capabilities().sensitive)
        return inner;
    return std::make_unique<SensitiveProvider>(std::move(inner));
}

} // namespace sd

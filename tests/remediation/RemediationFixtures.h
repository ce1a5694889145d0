#pragma once

// The remediation ConfigMaps of ../shared/fixtures/5dlabs-remediation as
// entries and as API objects, and tasks built to a size.

#include "TestSupport.h"
#include "model/Entry.h"
#include "util/YamlJson.h"

#include <QFile>

namespace sd::test {

inline const QString kControllerFixture = QStringLiteral("5dlabs-remediation/configmap-remediation-state.yaml");
inline const QString kSeedFixture = QStringLiteral("5dlabs-remediation/configmap-design-doc-variant.yaml");

// The ConfigMap object as the fixture writes it (YAML -> JSON).
inline Json fixtureConfigMap(const QString &relative)
{
    QFile f(fixturePath(relative));
    if (!f.open(QIODevice::ReadOnly))
        return Json();
    auto j = yamlToJson(f.readAll(), relative);
    return j.ok() ? j.value() : Json();
}

inline QMap<QString, QString> stringMap(const Json &obj)
{
    QMap<QString, QString> out;
    if (obj.is_object())
        for (const auto &m : obj.items())
            out.insert(toQString(m.key()), toQString(m.value().get<std::string>()));
    return out;
}

// The entry the Kubernetes provider makes of that ConfigMap.
inline Entry fixtureEntry(const QString &relative)
{
    const Json cm = fixtureConfigMap(relative);
    Entry e;
    e.key = toQString(cm["metadata"]["name"].get<std::string>());
    e.value = cm["data"];
    e.labels = stringMap(cm["metadata"].value("labels", Json::object()));
    e.annotations = stringMap(cm["metadata"].value("annotations", Json::object()));
    e.revision = QStringLiteral("1");
    return e;
}

// The same object, ready to create on an API server (no namespace, so it
// lands in the one the request names).
inline Json fixtureForCreate(const QString &relative)
{
    Json cm = fixtureConfigMap(relative);
    cm["metadata"].erase("namespace");
    return cm;
}

} // namespace sd::test

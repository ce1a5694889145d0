#pragma once

#include <QtGlobal>

#include <functional>
#include <memory>

class QSocketNotifier;

namespace sd {

// SIGINT and SIGTERM delivered on the Qt event loop instead of ending the
// process: the callback runs there (a self-pipe read by a QSocketNotifier,
// the only safe way out of a signal handler), so a transfer can stop at a
// page boundary and a window can close as Ctrl+Q closes it. A second signal
// ends the process at once, as the user pressing Ctrl-C twice expects.
// One instance at a time; the previous handlers come back when it goes.
class Interrupts {
public:
    explicit Interrupts(std::function<void()> onInterrupt);
    ~Interrupts();
    Interrupts(const Interrupts &) = delete;
    Interrupts &operator=(const Interrupts &) = delete;

    bool interrupted() const { return m_interrupted; }

private:
    struct Saved;
    std::function<void()> m_on;
    std::unique_ptr<QSocketNotifier> m_notifier;
    std::unique_ptr<Saved> m_saved;
    bool m_interrupted = false;
};

} // namespace sd

#include "util/Interrupts.h"

#include <QSocketNotifier>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace sd {

namespace {

int s_pipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] auto n = ::write(s_pipe[1], &c, 1);
}

} // namespace

struct Interrupts::Saved {
    struct sigaction interrupt {};
    struct sigaction terminate {};
};

Interrupts::Interrupts(std::function<void()> onInterrupt) : m_on(std::move(onInterrupt)), m_saved(std::make_unique<Saved>())
{
    if (::pipe2(s_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    m_notifier = std::make_unique<QSocketNotifier>(s_pipe[0], QSocketNotifier::Read);
    QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(), [this] {
        char c;
        while (::read(s_pipe[0], &c, 1) == 1) {
        }
        m_interrupted = true;
        if (m_on)
            m_on();
    });
    struct sigaction sa {};
    sa.sa_handler = &onSignal;
    sa.sa_flags = SA_RESETHAND; // the second one ends the process
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &m_saved->interrupt);
    ::sigaction(SIGTERM, &sa, &m_saved->terminate);
}

Interrupts::~Interrupts()
{
    if (!m_notifier)
        return;
    ::sigaction(SIGINT, &m_saved->interrupt, nullptr);
    ::sigaction(SIGTERM, &m_saved->terminate, nullptr);
    m_notifier.reset();
    ::close(s_pipe[0]);
    ::close(s_pipe[1]);
    s_pipe[0] = s_pipe[1] = -1;
}

} // namespace sd

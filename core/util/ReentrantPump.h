#pragma once

namespace sd {

// The loop of a "keep N requests in flight" pump. A request whose future is
// already finished answers synchronously, from inside the loop that issued
// it, and would call the pump again; run() turns such a nested call into one
// more round of the outer loop instead of a recursion per request.
class ReentrantPump {
public:
    // Runs `round` until no nested call asked for another round. Returns
    // false when called from inside a round (the outer call carries on).
    template <typename Round>
    bool run(Round &&round)
    {
        if (m_running) {
            m_again = true;
            return false;
        }
        m_running = true;
        do {
            m_again = false;
            round();
        } while (m_again);
        m_running = false;
        return true;
    }

private:
    bool m_running = false;
    bool m_again = false;
};

} // namespace sd

#include "KubeTestServer.h"
#include "RedisTestServer.h"
#include "TestSupport.h"
#include "providers/KubeTestHelpers.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

// statedeck-tui as an SRE runs it: the real binary in a real terminal
// (tmux, 80x24), driven with send-keys and read with capture-pane. Every
// check waits for the screen to say something (never a fixed sleep).
class TestTui : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;
    QString m_tui;
    QString m_ctl;
    QString m_db;
    QString m_socket; // a tmux server of this test's own
    int m_sessions = 0;

    QProcessEnvironment env() const { return sd::test::isolatedEnvironment(m_home.path()); }

    QByteArray tmux(const QStringList &args)
    {
        QProcess p;
        p.start(QStringLiteral("tmux"), QStringList{QStringLiteral("-S"), m_socket} + args);
        p.waitForFinished(10000);
        return p.readAllStandardOutput();
    }

    sd::test::ProgramRun ctl(const QStringList &args, const QByteArray &input = {})
    {
        return sd::test::runProgram(m_ctl, QStringList{QStringLiteral("--store"), QStringLiteral("sqlite://") + m_db} + args,
                                    env(), input, 30000);
    }

    // Starts the TUI in a new tmux session and returns its name. `store`:
    // the SQLite test database unless given; `before`/`after`: shell
    // commands run around it in the same terminal.
    QString start(const QStringList &extraEnv = {}, const QStringList &args = {}, const QString &store = {},
                  const QString &before = {}, const QString &after = {})
    {
        const QString name = QStringLiteral("t%1").arg(++m_sessions);
        QStringList assignments;
        const QProcessEnvironment e = env();
        for (const QString &k : e.keys())
            if (k.startsWith(QLatin1String("XDG_")) || k == QLatin1String("HOME") || k == QLatin1String("PATH")
                || k == QLatin1String("STATEDECK_TEST"))
                assignments << k + QLatin1Char('=') + e.value(k);
        assignments << extraEnv;
        QStringList quoted;
        for (const QString &a : QStringList{m_tui, QStringLiteral("--store"),
                                            store.isEmpty() ? QStringLiteral("sqlite://") + m_db : store}
                                    + args)
            quoted << QLatin1Char('\'') + a + QLatin1Char('\'');
        const QString command = QStringLiteral("%1 env TERM=xterm-256color %2 %3; echo EXITED $?; %4 sleep 60")
                                    .arg(before.isEmpty() ? QString() : before + QLatin1Char(';'),
                                         assignments.join(QLatin1Char(' ')), quoted.join(QLatin1Char(' ')),
                                         after.isEmpty() ? QString() : after + QLatin1Char(';'));
        tmux({QStringLiteral("new-session"), QStringLiteral("-d"), QStringLiteral("-s"), name, QStringLiteral("-x"),
              QStringLiteral("80"), QStringLiteral("-y"), QStringLiteral("24"), command});
        return name;
    }

    QString screen(const QString &session)
    {
        return QString::fromUtf8(tmux({QStringLiteral("capture-pane"), QStringLiteral("-p"), QStringLiteral("-t"), session}));
    }

    bool waitFor(const QString &session, const QString &text, int timeoutMs = 15000)
    {
        const bool seen = QTest::qWaitFor([&] { return screen(session).contains(text); }, timeoutMs);
        if (!seen)
            qWarning("never saw \"%s\"; the screen is:\n%s", qPrintable(text), qPrintable(screen(session)));
        return seen;
    }

    void keys(const QString &session, const QStringList &keys)
    {
        for (const QString &k : keys)
            tmux({QStringLiteral("send-keys"), QStringLiteral("-t"), session, k});
    }

    // `:` and a command line, entered.
    void command(const QString &session, const QString &line)
    {
        keys(session, {QStringLiteral(":")});
        type(session, line);
        keys(session, {QStringLiteral("Enter")});
    }

    // Esc alone: a key within 25 ms of it would read as Alt and that key.
    void escape(const QString &session)
    {
        keys(session, {QStringLiteral("Escape")});
        QTest::qWait(100);
    }

    sd::test::ProgramRun ctlOn(const QString &store, const QStringList &args, const QByteArray &input = {})
    {
        return sd::test::runProgram(m_ctl, QStringList{QStringLiteral("--store"), store} + args, env(), input, 30000);
    }

    void type(const QString &session, const QString &text)
    {
        tmux({QStringLiteral("send-keys"), QStringLiteral("-t"), session, QStringLiteral("-l"), text});
    }

    QString script(const QString &name, const QString &body)
    {
        const QString path = m_home.filePath(name);
        QFile f(path);
        f.open(QIODevice::WriteOnly | QIODevice::Truncate);
        f.write("#!/bin/sh\n" + body.toUtf8() + "\n");
        f.close();
        f.setPermissions(f.permissions() | QFileDevice::ExeOwner);
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_tui = sd::test::builtProgram(QStringLiteral("statedeck-tui"));
        m_ctl = sd::test::builtProgram(QStringLiteral("statedeckctl"));
        QVERIFY2(!m_tui.isEmpty() && !m_ctl.isEmpty(), "statedeck-tui and statedeckctl must be built");
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("tmux")).isEmpty(), "tmux is needed");
        m_socket = m_home.filePath(QStringLiteral("tmux.sock"));
        m_db = m_home.filePath(QStringLiteral("tui.db"));
        for (const char *k : {"app/web/config", "app/web/replicas", "app/db/config", "session:1", "session:2", "top"})
            QCOMPARE(ctl({QStringLiteral("put"), QLatin1String(k), QStringLiteral("-")},
                         QByteArray("{\"key\": \"") + k + "\", \"n\": 1}")
                         .code,
                     0);
    }

    void cleanupTestCase()
    {
        tmux({QStringLiteral("kill-server")});
    }

    // The first screen: connection, freshness, an honest count, the tree.
    void testFirstScreen()
    {
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("6 keys loaded, listing complete")));
        const QString first = screen(s);
        QVERIFY2(first.contains(QLatin1String("Live")), qPrintable(first));
        QVERIFY(first.contains(QLatin1String("app/")));
        QVERIFY(first.contains(QLatin1String("3 keys")));
        QVERIFY(first.contains(QLatin1String("session:1")));
        QVERIFY(first.contains(QLatin1String("<e> Edit")));
        // Into a prefix and back.
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("keys app/")));
        QVERIFY(waitFor(s, QStringLiteral("web/")));
        keys(s, {QStringLiteral("Escape")});
        QVERIFY(waitFor(s, QStringLiteral("session:2")));
        type(s, QStringLiteral(":q"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("EXITED 0")));
    }

    void testFilter_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QStringList>("shown");
        QTest::addColumn<QStringList>("hidden");
        QTest::newRow("substring") << "sess" << QStringList{"session:1", "session:2"} << QStringList{"top"};
        QTest::newRow("regex") << "^to" << QStringList{"top"} << QStringList{"session:1"};
        QTest::newRow("inverse") << "!session" << QStringList{"top"} << QStringList{"session:1"};
    }
    void testFilter()
    {
        QFETCH(QString, filter);
        QFETCH(QStringList, shown);
        QFETCH(QStringList, hidden);
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral("/")});
        type(s, filter);
        QVERIFY(waitFor(s, QStringLiteral("/") + filter));
        for (const QString &k : shown)
            QVERIFY(waitFor(s, k));
        const QString now = screen(s);
        for (const QString &k : hidden)
            QVERIFY2(!now.contains(k), qPrintable(now));
        keys(s, {QStringLiteral("Escape")});
        QVERIFY(waitFor(s, QStringLiteral("top")));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // `?` builds help from the action table; `:` completes commands.
    void testHelpAndCommands()
    {
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral("?")});
        QVERIFY(waitFor(s, QStringLiteral("Keys of this view (keys)")));
        QVERIFY(screen(s).contains(QLatin1String("Ctrl-D    Delete")));
        keys(s, {QStringLiteral("Escape")});
        // (Esc and a key within 25 ms read as Alt and that key, as in every
        // terminal program: wait for the help to close first.)
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral(":")});
        type(s, QStringLiteral("ev"));
        keys(s, {QStringLiteral("Tab")});
        QVERIFY(waitFor(s, QStringLiteral(":events")));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("0 shown, 0 received")));
        // A change made elsewhere shows up as an event.
        QCOMPARE(ctl({QStringLiteral("put"), QStringLiteral("evented"), QStringLiteral("-")}, "{}").code, 0);
        QVERIFY(waitFor(s, QStringLiteral("evented")));
        QVERIFY(screen(s).contains(QLatin1String("ADDED")));
        keys(s, {QStringLiteral(":")});
        type(s, QStringLiteral("nosuch"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("unknown command :nosuch")));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // A writer in another process: the row appears, and goes again.
    void testLiveRows()
    {
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        QCOMPARE(ctl({QStringLiteral("put"), QStringLiteral("arrived"), QStringLiteral("-")}, "{}").code, 0);
        QVERIFY(waitFor(s, QStringLiteral("arrived")));
        QCOMPARE(ctl({QStringLiteral("rm"), QStringLiteral("arrived"), QStringLiteral("--yes")}).code, 0);
        QVERIFY(QTest::qWaitFor([&] { return !screen(s).contains(QLatin1String("arrived")); }, 15000));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // `e` as kubectl edit: an editor (a script here) changes the value, the
    // diff is shown, y saves at the revision read; the temporary file had
    // mode 0600 and is gone.
    void testEditSaves()
    {
        const QString seen = m_home.filePath(QStringLiteral("edit-seen"));
        const QString editor = script(QStringLiteral("edit.sh"),
                                      QStringLiteral("stat -c %a \"$1\" > '%1'; echo \"$1\" >> '%1'\n"
                                                     "sed -i 's/\"n\": 1/\"n\": 42/' \"$1\"")
                                          .arg(seen));
        const QString s = start({QStringLiteral("EDITOR=") + editor});
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral("/")});
        type(s, QStringLiteral("top"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("/top")));
        keys(s, {QStringLiteral("e")});
        QVERIFY(waitFor(s, QStringLiteral("Save these changes to top")));
        QVERIFY(screen(s).contains(QLatin1String("+  \"n\": 42")));
        keys(s, {QStringLiteral("y")});
        QVERIFY(waitFor(s, QStringLiteral("saved top, revision")));
        const auto got = ctl({QStringLiteral("get"), QStringLiteral("top"), QStringLiteral("-o"), QStringLiteral("value")});
        QVERIFY2(got.out.contains("\"n\": 42"), got.out.constData());
        QFile f(seen);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
        QCOMPARE(lines.value(0), QStringLiteral("600"));
        QVERIFY2(!QFile::exists(lines.value(1)), qPrintable(lines.value(1)));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // Invalid JSON reopens the editor with the error at the top; an
    // unchanged file cancels.
    void testEditInvalidThenCancel()
    {
        const QString round = m_home.filePath(QStringLiteral("round"));
        const QString header = m_home.filePath(QStringLiteral("second-header"));
        const QString editor = script(
            QStringLiteral("invalid.sh"),
            QStringLiteral("if [ ! -f '%1' ]; then touch '%1'; sed -i 's/\"n\": 1/\"n\": /' \"$1\";\n"
                           "else grep '^# error' \"$1\" > '%2'; sed -i 's/\"n\": $/\"n\": 1/' \"$1\"; fi")
                .arg(round, header));
        const QString s = start({QStringLiteral("EDITOR=") + editor});
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral("/")});
        type(s, QStringLiteral("session:2"));
        keys(s, {QStringLiteral("Enter"), QStringLiteral("e")});
        QVERIFY(waitFor(s, QStringLiteral("Edit cancelled, no changes made.")));
        QFile f(header);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray errorLines = f.readAll();
        QVERIFY2(errorLines.contains("# error: invalid JSON") && errorLines.contains("line 4"), errorLines.constData());
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // Someone writes while the editor is open: the save is a conflict, the
    // text is kept in a file, and T takes theirs.
    void testEditConflict()
    {
        const QString editor = script(QStringLiteral("conflict.sh"),
                                      QStringLiteral("echo '{\"from\": \"other\"}' | '%1' --store 'sqlite://%2' put "
                                                     "session:1 - > /dev/null\nsed -i 's/\"n\": 1/\"n\": 7/' \"$1\"")
                                          .arg(m_ctl, m_db));
        const QString s = start({QStringLiteral("EDITOR=") + editor});
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral("/")});
        type(s, QStringLiteral("session:1"));
        keys(s, {QStringLiteral("Enter"), QStringLiteral("e")});
        QVERIFY(waitFor(s, QStringLiteral("Save these changes to session:1")));
        keys(s, {QStringLiteral("y")});
        QVERIFY(waitFor(s, QStringLiteral("Your text is kept in")));
        const QRegularExpression kept(QStringLiteral("kept in (\\S+)\\."));
        const QString path = kept.match(screen(s).simplified()).captured(1);
        QVERIFY(waitFor(s, QStringLiteral("CONFLICT with revision")));
        keys(s, {QStringLiteral("T")});
        QVERIFY(waitFor(s, QStringLiteral("\"from\": \"other\"")));
        const auto got = ctl({QStringLiteral("get"), QStringLiteral("session:1"), QStringLiteral("-o"), QStringLiteral("value")});
        QVERIFY2(got.out.contains("other"), got.out.constData()); // nothing overwritten
        Q_UNUSED(path);
        const QDir edits(m_home.filePath(QStringLiteral("state/statedeck/edits")));
        const QStringList files = edits.entryList(QDir::Files);
        QCOMPARE(files.size(), 1);
        QFile keptFile(edits.filePath(files.first()));
        QVERIFY(keptFile.open(QIODevice::ReadOnly));
        QVERIFY(keptFile.readAll().contains("\"n\": 7"));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // Ctrl-D deletes only after the key's name is typed.
    void testDeleteNeedsTheName()
    {
        QCOMPARE(ctl({QStringLiteral("put"), QStringLiteral("doomed"), QStringLiteral("-")}, "{}").code, 0);
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral("/")});
        type(s, QStringLiteral("doomed"));
        keys(s, {QStringLiteral("Enter"), QStringLiteral("C-d")});
        QVERIFY(waitFor(s, QStringLiteral("Type its name to confirm")));
        type(s, QStringLiteral("wrong"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("not deleted")));
        QCOMPARE(ctl({QStringLiteral("get"), QStringLiteral("doomed")}).code, 0);
        keys(s, {QStringLiteral("C-d")});
        QVERIFY(waitFor(s, QStringLiteral("Type its name to confirm")));
        type(s, QStringLiteral("doomed"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("doomed deleted")));
        QCOMPARE(ctl({QStringLiteral("get"), QStringLiteral("doomed")}).code, 3);
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // A small terminal still shows what matters; a resize redraws.
    void testResize()
    {
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        tmux({QStringLiteral("resize-window"), QStringLiteral("-t"), s, QStringLiteral("-x"), QStringLiteral("50"),
              QStringLiteral("-y"), QStringLiteral("12")});
        QVERIFY(waitFor(s, QStringLiteral("session:1")));
        for (const QString &line : screen(s).split(QLatin1Char('\n')))
            QVERIFY2(line.size() <= 50, qPrintable(line));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // `y` copies the value through OSC 52; tmux (set-clipboard on) keeps
    // what a terminal's clipboard would get.
    void testCopyThroughOsc52()
    {
        tmux({QStringLiteral("start-server")});
        const QString s = start();
        tmux({QStringLiteral("set-option"), QStringLiteral("-s"), QStringLiteral("set-clipboard"), QStringLiteral("on")});
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral("/")});
        type(s, QStringLiteral("session:2"));
        keys(s, {QStringLiteral("Enter"), QStringLiteral("y")});
        QVERIFY(waitFor(s, QStringLiteral("to the clipboard")));
        QVERIFY(QTest::qWaitFor([&] { return tmux({QStringLiteral("show-buffer")}).contains("\"key\": \"session:2\""); },
                                10000));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // A Secret: masked until x, masked again when opened again, and edited
    // decoded only after the user agrees.
    void testSecretMaskedAndConsent()
    {
        sd::test::KubeTestServer kube;
        QVERIFY2(kube.start(), qPrintable(kube.log()));
        QVERIFY(sd::test::createNamespace(kube, QStringLiteral("tui")));
        const QString store = QStringLiteral("k8s://admin/tui/secrets/gate-keys");
        QProcessEnvironment e = env();
        e.insert(QStringLiteral("KUBECONFIG"), kube.kubeconfigPath());
        QCOMPARE(sd::test::runProgram(m_ctl, {QStringLiteral("--store"), store, QStringLiteral("put"), QStringLiteral("token"),
                                              QStringLiteral("-"), QStringLiteral("--encoding"), QStringLiteral("text")},
                                      e, "s3cr3t-XYZ", 30000)
                     .code,
                 0);
        const QString editor = script(QStringLiteral("secret.sh"), QStringLiteral("sed -i 's/XYZ/ABC/' \"$1\""));
        const QString s = start({QStringLiteral("KUBECONFIG=") + kube.kubeconfigPath(), QStringLiteral("EDITOR=") + editor},
                                {QStringLiteral("--store"), store});
        QVERIFY(waitFor(s, QStringLiteral("token")));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("SECRET: x reveals")));
        QVERIFY(!screen(s).contains(QLatin1String("s3cr3t")));
        keys(s, {QStringLiteral("x")});
        QVERIFY(waitFor(s, QStringLiteral("s3cr3t-XYZ")));
        keys(s, {QStringLiteral("Escape")});
        QVERIFY(waitFor(s, QStringLiteral("keys")));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("SECRET: x reveals")));
        QVERIFY(!screen(s).contains(QLatin1String("s3cr3t")));
        keys(s, {QStringLiteral("e")});
        QVERIFY(waitFor(s, QStringLiteral("is secret. Edit it decoded")));
        keys(s, {QStringLiteral("n")});
        QVERIFY(waitFor(s, QStringLiteral("not edited")));
        keys(s, {QStringLiteral("e")});
        QVERIFY(waitFor(s, QStringLiteral("is secret. Edit it decoded")));
        keys(s, {QStringLiteral("y")});
        QVERIFY(waitFor(s, QStringLiteral("Save these changes to token")));
        keys(s, {QStringLiteral("y")});
        QVERIFY(waitFor(s, QStringLiteral("saved token")));
        const auto got = sd::test::runProgram(m_ctl, {QStringLiteral("--store"), store, QStringLiteral("get"),
                                                      QStringLiteral("token"), QStringLiteral("--reveal"),
                                                      QStringLiteral("-o"), QStringLiteral("value")},
                                              e, {}, 30000);
        QVERIFY2(got.out.contains("s3cr3t-ABC"), got.describe().toUtf8().constData());
        QVERIFY(QDir(QDir::tempPath()).entryList({QStringLiteral("statedeck-edit-*")}).isEmpty());
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // --read-only: the badge, and every write refused with the reason
    // before anything reaches the store.
    void testReadOnly()
    {
        const QString s = start({}, {QStringLiteral("--read-only")});
        QVERIFY(waitFor(s, QStringLiteral("READ-ONLY")));
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral("/")});
        type(s, QStringLiteral("top"));
        keys(s, {QStringLiteral("Enter"), QStringLiteral("e")});
        QVERIFY(waitFor(s, QStringLiteral("Edit: connection")));
        QVERIFY(screen(s).contains(QLatin1String("is read-only")));
        keys(s, {QStringLiteral("C-d")});
        QVERIFY(waitFor(s, QStringLiteral("Delete: connection")));
        QCOMPARE(ctl({QStringLiteral("get"), QStringLiteral("top")}).code, 0);
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // :tasks lists remediation tasks; Enter shows a task's feedback.
    void testTasks()
    {
        QCOMPARE(ctl({QStringLiteral("task"), QStringLiteral("create"), QStringLiteral("tui-task")}).code, 0);
        QCOMPARE(ctl({QStringLiteral("task"), QStringLiteral("feedback"), QStringLiteral("add"), QStringLiteral("tui-task"),
                      QStringLiteral("--severity"), QStringLiteral("High"), QStringLiteral("--type"), QStringLiteral("Bug"),
                      QStringLiteral("--description"),
                      QStringLiteral("the probe fails")})
                     .code,
                 0);
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral(":")});
        type(s, QStringLiteral("tasks"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("tui-task")));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("feedback")));
        QVERIFY(waitFor(s, QStringLiteral("the probe fails")));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // :export writes a snapshot with progress and a report; :import of it
    // in a dry run finds everything unchanged.
    void testExportImport()
    {
        const QString snap = m_home.filePath(QStringLiteral("tui-export.jsonl"));
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        keys(s, {QStringLiteral(":")});
        type(s, QStringLiteral("export ") + snap + QStringLiteral(" app/"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("succeeded")));
        QVERIFY(QFile::exists(snap));
        keys(s, {QStringLiteral(":")});
        type(s, QStringLiteral("import ") + snap + QStringLiteral(" dry-run"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("unchanged")));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    void testNoTerminalIsAClearError()
    {
        const auto r = sd::test::runProgram(m_tui, {QStringLiteral("--store"), QStringLiteral("sqlite://") + m_db}, env(),
                                            {}, 10000);
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains("needs a terminal"));
    }

    // The tasks.* keys: + starts an iteration, f adds feedback (a severity
    // that is not one is said and asked again), r resolves the selected
    // entry, S sets the status, and :cleanup previews, asks, then deletes.
    void testTaskActions()
    {
        const QString store = QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("tasks.db"));
        QCOMPARE(ctlOn(store, {QStringLiteral("task"), QStringLiteral("create"), QStringLiteral("ops")}).code, 0);
        const QString s = start({QStringLiteral("USER=sre")}, {}, store);
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        command(s, QStringLiteral("tasks"));
        QVERIFY(waitFor(s, QStringLiteral("Initialized")));
        keys(s, {QStringLiteral("+")});
        QVERIFY(waitFor(s, QStringLiteral("next iteration started (iteration 1 of 10, InProgress)")));

        keys(s, {QStringLiteral("f")});
        QVERIFY(waitFor(s, QStringLiteral("severity (Low, Medium, High, Critical):")));
        type(s, QStringLiteral("urgent"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("unknown severity \"urgent\"")));
        keys(s, {QStringLiteral("C-u")});
        type(s, QStringLiteral("high"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("issue type (Bug,")));
        type(s, QStringLiteral("bug"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("Description:")));
        type(s, QStringLiteral("disk full on node-3"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("feedback added")));
        QVERIFY(waitFor(s, QStringLiteral("1 High")));
        const auto history = ctlOn(store, {QStringLiteral("task"), QStringLiteral("history"), QStringLiteral("ops"),
                                           QStringLiteral("-o"), QStringLiteral("json")});
        QVERIFY2(history.out.contains("disk full on node-3") && history.out.contains("\"High\"")
                     && history.out.contains("\"sre\""),
                 history.out.constData());

        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("feedback task-ops-state")));
        keys(s, {QStringLiteral("r")});
        QVERIFY(waitFor(s, QStringLiteral("Mark feedback 1 of task-ops-state resolved? [y/N]")));
        keys(s, {QStringLiteral("y")});
        QVERIFY(waitFor(s, QStringLiteral("feedback 1 resolved")));
        QVERIFY(waitFor(s, QStringLiteral("Resolved")));
        escape(s);

        keys(s, {QStringLiteral("S")});
        QVERIFY(waitFor(s, QStringLiteral("status (")));
        keys(s, {QStringLiteral("C-u")});
        type(s, QStringLiteral("completed"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("status set")));
        QVERIFY(ctlOn(store, {QStringLiteral("task"), QStringLiteral("get"), QStringLiteral("ops")})
                    .out.contains("Completed"));

        command(s, QStringLiteral("cleanup 0s"));
        QVERIFY(waitFor(s, QStringLiteral("would delete")));
        QVERIFY(waitFor(s, QStringLiteral("Delete this task? [y/N]")));
        keys(s, {QStringLiteral("n")});
        QVERIFY(waitFor(s, QStringLiteral("nothing deleted")));
        QCOMPARE(ctlOn(store, {QStringLiteral("task"), QStringLiteral("get"), QStringLiteral("ops")}).code, 0);
        escape(s);
        command(s, QStringLiteral("cleanup 0s"));
        QVERIFY(waitFor(s, QStringLiteral("Delete this task? [y/N]")));
        keys(s, {QStringLiteral("y")});
        QVERIFY(waitFor(s, QStringLiteral("1 of 1 tasks deleted")));
        QVERIFY(ctlOn(store, {QStringLiteral("task"), QStringLiteral("get"), QStringLiteral("ops")}).code != 0);
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // :verify finds what is missing; :migrate asks, then copies; verify
    // then finds the stores the same.
    void testMigrateAndVerify()
    {
        const QString target = QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("migrated.db"));
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        command(s, QStringLiteral("verify %1 app/").arg(target));
        QVERIFY(waitFor(s, QStringLiteral("0 the same, 3 missing")));
        escape(s);
        command(s, QStringLiteral("migrate %1 app/").arg(target));
        QVERIFY(waitFor(s, QStringLiteral("Migrate app/* into")));
        keys(s, {QStringLiteral("n")});
        QVERIFY(waitFor(s, QStringLiteral("nothing migrated")));
        QCOMPARE(ctlOn(target, {QStringLiteral("get"), QStringLiteral("app/web/config")}).code, 3);
        command(s, QStringLiteral("migrate %1 app/").arg(target));
        QVERIFY(waitFor(s, QStringLiteral("Migrate app/* into")));
        keys(s, {QStringLiteral("y")});
        QVERIFY(waitFor(s, QStringLiteral("migrate: 3 created")));
        QCOMPARE(ctlOn(target, {QStringLiteral("get"), QStringLiteral("app/web/config")}).code, 0);
        escape(s);
        command(s, QStringLiteral("verify %1 app/").arg(target));
        QVERIFY(waitFor(s, QStringLiteral("3 the same, 0 missing, 0 differ")));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // Transfer commands given the wrong words say what is wrong and start
    // nothing.
    void testTransferBadInput_data()
    {
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("error");
        QTest::newRow("import, unknown word") << "import /tmp/x.jsonl bogus"
                                              << "unknown word \"bogus\"; expected dry-run, skip or overwrite";
        QTest::newRow("export, no file") << "export" << "usage: :export FILE [PREFIX]";
        QTest::newRow("import, no such file") << "import /nonexistent/snap.jsonl" << "/nonexistent/snap.jsonl";
        QTest::newRow("verify, no target") << "verify" << "usage: :verify TARGET [PREFIX]";
        QTest::newRow("migrate, store that cannot open") << "migrate nosuch://x" << "cannot open nosuch://x";
        QTest::newRow("migrate, a word too many") << "migrate sqlite:///tmp/m.db app/ other"
                                                  << "unexpected \"other\" after the prefix app/";
    }

    void testTransferBadInput()
    {
        QFETCH(QString, line);
        QFETCH(QString, error);
        const QString s = start();
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        command(s, line);
        QVERIFY(waitFor(s, error));
        QVERIFY2(!screen(s).contains(QLatin1String("running")), qPrintable(screen(s)));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // An encrypted snapshot: the passphrase is asked for and shown as
    // stars; a wrong one is refused, the right one imports.
    void testEncryptedImportAsksPassphrase()
    {
        const QString snap = m_home.filePath(QStringLiteral("sealed.jsonl"));
        QProcessEnvironment e = env();
        e.insert(QStringLiteral("SD_PW"), QStringLiteral("correct horse"));
        const auto exported = sd::test::runProgram(
            m_ctl, {QStringLiteral("--store"), QStringLiteral("sqlite://") + m_db, QStringLiteral("export"),
                    QStringLiteral("-o"), snap, QStringLiteral("--encrypt"), QStringLiteral("--passphrase-env"),
                    QStringLiteral("SD_PW"), QStringLiteral("app/")},
            e, {}, 30000);
        QVERIFY2(exported.code == 0, qPrintable(exported.describe()));
        const QString target = QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("sealed-target.db"));
        const QString s = start({}, {}, target);
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        command(s, QStringLiteral("import ") + snap);
        QVERIFY(waitFor(s, QStringLiteral("Passphrase of")));
        type(s, QStringLiteral("wrong horse"));
        QVERIFY(waitFor(s, QStringLiteral("***********")));
        QVERIFY(!screen(s).contains(QLatin1String("wrong horse")));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("wrong passphrase")));
        escape(s);
        command(s, QStringLiteral("import ") + snap);
        QVERIFY(waitFor(s, QStringLiteral("Passphrase of")));
        type(s, QStringLiteral("correct horse"));
        keys(s, {QStringLiteral("Enter")});
        QVERIFY(waitFor(s, QStringLiteral("import: 3 created")));
        QCOMPARE(ctlOn(target, {QStringLiteral("get"), QStringLiteral("app/db/config")}).code, 0);
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // An import in progress, cancelled with Esc (the table's jobs.cancel in
    // the job view): the server is paused so
    // the job is surely mid-way, and it stops after the page in flight
    // without writing the rest.
    void testImportCancel()
    {
        sd::test::RedisTestServer redis;
        QVERIFY2(redis.start(), qPrintable(redis.log()));
        const QString store = QStringLiteral("redis://127.0.0.1:%1/0").arg(redis.port());
        const int count = 3000;
        for (int i = 0; i < count; ++i)
            QCOMPARE(redis.command({"SET", "bulk:" + QByteArray::number(i), "{\"n\":" + QByteArray::number(i) + "}"}),
                     QByteArray("+OK"));
        const QString snap = m_home.filePath(QStringLiteral("bulk.jsonl"));
        const auto exported = ctlOn(store, {QStringLiteral("export"), QStringLiteral("-o"), snap});
        QVERIFY2(exported.code == 0, qPrintable(exported.describe()));
        QCOMPARE(redis.command({"FLUSHDB"}), QByteArray("+OK"));

        const QString s = start({}, {}, store);
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        ::kill(pid_t(redis.processId()), SIGSTOP);
        command(s, QStringLiteral("import ") + snap);
        QVERIFY(waitFor(s, QStringLiteral("running  (Esc cancels)")));
        // Pass 1 reads the file and needs no server: once it has read all of
        // it, pass 2 starts and hangs on the paused server, so the cancel
        // meets a write in flight (the job cannot end while it is paused).
        QVERIFY(waitFor(s, QStringLiteral("verify-file 0.2/0.2 MiB (100%)")));
        QTest::qWait(500);
        QVERIFY(screen(s).contains(QLatin1String("running  (Esc cancels)")));
        // The hint bar says what Esc does here: jobs.cancel shadows Back.
        QVERIFY(screen(s).contains(QLatin1String("<Esc> Cancel")));
        QVERIFY(!screen(s).contains(QLatin1String("<Esc> Back")));
        escape(s);
        QVERIFY(waitFor(s, QStringLiteral("cancelling import")));
        ::kill(pid_t(redis.processId()), SIGCONT);
        QVERIFY(waitFor(s, QStringLiteral("import  |  cancelled"), 30000));
        // Over: Esc goes back again, and the hints say so.
        QVERIFY(waitFor(s, QStringLiteral("<Esc> Back")));
        QVERIFY(!screen(s).contains(QLatin1String("<Esc> Cancel")));
        escape(s);
        QTRY_VERIFY(!screen(s).contains(QLatin1String("import  |")));
        const QByteArray size = redis.command({"DBSIZE"});
        QVERIFY2(size.startsWith(':') && size.mid(1).toInt() < count, size.constData());
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // A real redis-server written by another process: rows appear without
    // a keypress; the header says Reconnecting when the server goes, and
    // Live again once it is back and the keys are listed anew.
    void testRedisLiveAndFreshness()
    {
        sd::test::RedisTestServer redis;
        QVERIFY2(redis.start(), qPrintable(redis.log()));
        const QString store = QStringLiteral("redis://127.0.0.1:%1/0").arg(redis.port());
        QCOMPARE(redis.command({"SET", "greeting", "{\"hello\":1}"}), QByteArray("+OK"));
        const QString s = start({}, {}, store);
        QVERIFY(waitFor(s, QStringLiteral("greeting")));
        QVERIFY(waitFor(s, QStringLiteral("Live")));
        QCOMPARE(redis.command({"SET", "arrived-live", "{}"}), QByteArray("+OK"));
        QVERIFY(waitFor(s, QStringLiteral("arrived-live")));
        redis.stop();
        QVERIFY(waitFor(s, QStringLiteral("Reconnecting"), 30000));
        QVERIFY(redis.restart());
        QCOMPARE(redis.command({"SET", "after-restart", "{}"}), QByteArray("+OK"));
        QVERIFY(waitFor(s, QStringLiteral("after-restart"), 60000));
        QVERIFY(waitFor(s, QStringLiteral("Live")));
        QVERIFY(!screen(s).contains(QLatin1String("Reconnecting")));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // NO_COLOR: attributes only, no colour sequences; LANG=C: only ASCII
    // reaches the terminal, a key it cannot show drawn with '?'.
    void testNoColorAndAsciiLocale_data()
    {
        QTest::addColumn<QStringList>("environment");
        QTest::addColumn<bool>("colours");
        QTest::addColumn<bool>("ascii");
        QTest::newRow("default") << QStringList{QStringLiteral("LANG=C.UTF-8")} << true << false;
        QTest::newRow("NO_COLOR") << QStringList{QStringLiteral("NO_COLOR=1"), QStringLiteral("LANG=C.UTF-8")} << false
                                  << false;
        QTest::newRow("LANG=C") << QStringList{QStringLiteral("LANG=C"), QStringLiteral("LC_ALL=C")} << true << true;
    }

    void testNoColorAndAsciiLocale()
    {
        QFETCH(QStringList, environment);
        QFETCH(bool, colours);
        QFETCH(bool, ascii);
        const QString store = QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("ascii.db"));
        QCOMPARE(ctlOn(store, {QStringLiteral("put"), QStringLiteral("café/menu"), QStringLiteral("-")}, "{}").code, 0);
        const QString s = start(environment, {}, store);
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        const QString styled = QString::fromUtf8(
            tmux({QStringLiteral("capture-pane"), QStringLiteral("-e"), QStringLiteral("-p"), QStringLiteral("-t"), s}));
        static const QRegularExpression colour(QStringLiteral("\x1b\\[(?:[0-9]+;)*(?:3[0-7]|38|9[0-7])[;m]"));
        QCOMPARE(styled.contains(colour), colours);
        const QString plain = screen(s);
        const bool onlyAscii = std::all_of(plain.cbegin(), plain.cend(), [](QChar c) { return c.unicode() < 0x80; });
        if (ascii) {
            QVERIFY2(onlyAscii, qPrintable(plain));
            QVERIFY2(plain.contains(QLatin1String("caf?/")), qPrintable(plain));
        } else {
            QVERIFY2(plain.contains(QStringLiteral("café/")), qPrintable(plain));
        }
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // SIGTERM, and a crash (SIGSEGV, SIGABRT): the terminal's modes are as
    // they were before it started.
    void testSignalRestoresTerminal_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGSEGV") << int(SIGSEGV);
        QTest::newRow("SIGABRT") << int(SIGABRT);
    }

    void testSignalRestoresTerminal()
    {
        QFETCH(int, signal);
        const QString store = QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("sigterm.db"));
        const QString before = m_home.filePath(QStringLiteral("stty-before-%1").arg(signal));
        const QString after = m_home.filePath(QStringLiteral("stty-after-%1").arg(signal));
        const QString s = start({}, {}, store, QStringLiteral("ulimit -c 0; stty -a > '%1'").arg(before),
                                QStringLiteral("stty -a > '%1'").arg(after));
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        QProcess pgrep;
        // The program itself, not the shell that started it.
        pgrep.start(QStringLiteral("pgrep"),
                    {QStringLiteral("-f"), QStringLiteral("^%1 .*sigterm\\.db").arg(QRegularExpression::escape(m_tui))});
        QVERIFY(pgrep.waitForFinished(10000));
        const QList<QByteArray> pids = pgrep.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(pids.size(), 1);
        QCOMPARE(::kill(pid_t(pids.first().toLongLong()), signal), 0);
        QVERIFY(waitFor(s, QStringLiteral("EXITED")));
        QVERIFY(QTest::qWaitFor([&] { return QFileInfo(after).size() > 0; }, 10000));
        QFile b(before), a(after);
        QVERIFY(b.open(QIODevice::ReadOnly) && a.open(QIODevice::ReadOnly));
        const QByteArray was = b.readAll();
        QVERIFY(was.contains("icanon") && was.contains("echo"));
        QCOMPARE(a.readAll(), was);
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});
    }

    // A theme file of the desktop console's shape colours the tones, and
    // keys.yaml rebinds keys (the hint bar and help follow); a mistake in
    // either is refused before the terminal is taken, naming FILE:LINE.
    void testThemeAndKeyFiles()
    {
        const QString theme = m_home.filePath(QStringLiteral("red-muted.json"));
        const QString keysFile = m_home.filePath(QStringLiteral("keys.yaml"));
        const QString badKeys = m_home.filePath(QStringLiteral("bad-keys.yaml"));
        for (const auto &[path, text] : {std::pair{theme, QByteArray("{\"tones\": {\"Muted\": {\"foreground\": \"#ff0000\"}}}")},
                                         std::pair{keysFile, QByteArray("tui:\n  global.help: F1\n")},
                                         std::pair{badKeys, QByteArray("tui:\n  keys.edt: E\n")}}) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(text);
        }
        const QString s = start({}, {QStringLiteral("--theme"), theme, QStringLiteral("--keys"), keysFile});
        QVERIFY(waitFor(s, QStringLiteral("listing complete")));
        const QByteArray styled =
            tmux({QStringLiteral("capture-pane"), QStringLiteral("-e"), QStringLiteral("-p"), QStringLiteral("-t"), s});
        QVERIFY2(styled.contains("\x1b[38;5;196m"), styled.constData()); // #ff0000, the nearest xterm colour
        keys(s, {QStringLiteral("?")});
        QTest::qWait(300);
        QVERIFY(!screen(s).contains(QLatin1String("Keys of this view")));
        keys(s, {QStringLiteral("F1")});
        QVERIFY(waitFor(s, QStringLiteral("Keys of this view (keys)")));
        QVERIFY(screen(s).contains(QLatin1String("F1        Help")));
        tmux({QStringLiteral("kill-session"), QStringLiteral("-t"), s});

        auto r = sd::test::runProgram(m_tui, {QStringLiteral("--keys"), badKeys}, env(), {}, 10000);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains((badKeys + QStringLiteral(":2")).toUtf8()) && r.err.contains("unknown action \"keys.edt\""),
                 r.err.constData());
        r = sd::test::runProgram(m_tui, {QStringLiteral("--theme"), keysFile}, env(), {}, 10000);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(keysFile.toUtf8()) && r.err.contains("not JSON"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestTui)
#include "tst_tui.moc"

#include "KubeTestServer.h"
#include "TestSupport.h"
#include "providers/KubeTestHelpers.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

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

    // Starts the TUI in a new tmux session and returns its name.
    QString start(const QStringList &extraEnv = {}, const QStringList &args = {})
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
        for (const QString &a : QStringList{m_tui, QStringLiteral("--store"), QStringLiteral("sqlite://") + m_db} + args)
            quoted << QLatin1Char('\'') + a + QLatin1Char('\'');
        const QString command = QStringLiteral("env TERM=xterm-256color %1 %2; echo EXITED $?; sleep 60")
                                    .arg(assignments.join(QLatin1Char(' ')), quoted.join(QLatin1Char(' ')));
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
};

QTEST_GUILESS_MAIN(TestTui)
#include "tst_tui.moc"

package dev.flint.vmm;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;
import java.util.Arrays;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * Runs the test classes named in its arguments with the JUnit Platform launcher, for
 * {@link KvmTestsInRigIT} inside the nested rig: prints each failure and one summary line,
 * {@code rig-junit: found=N succeeded=N failed=N aborted=N skipped=N}, and exits 0 only when
 * every test found succeeded (an assumption that aborted a test counts against it).
 */
public final class RigJUnitRunner {
    private RigJUnitRunner() {
    }

    /** The request for {@code classNames}, shared with the host side that counts what should run. */
    static LauncherDiscoveryRequest request(String... classNames) {
        return LauncherDiscoveryRequestBuilder.request()
                .selectors(Arrays.stream(classNames).map(name -> selectClass(name)).toList()).build();
    }

    public static void main(String[] args) {
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request(args), listener);
        TestExecutionSummary summary = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        summary.printFailuresTo(out, 30);
        out.printf("rig-junit: found=%d succeeded=%d failed=%d aborted=%d skipped=%d%n", summary.getTestsFoundCount(),
                summary.getTestsSucceededCount(), summary.getTestsFailedCount(), summary.getTestsAbortedCount(),
                summary.getTestsSkippedCount());
        boolean allPassed = summary.getTestsFoundCount() > 0
                && summary.getTestsSucceededCount() == summary.getTestsFoundCount();
        System.exit(allPassed ? 0 : 1);
    }
}

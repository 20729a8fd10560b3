package dev.flint.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Command line for the initramfs builder and the guest image locator; errors exit 1, usage
 * errors 2. Outputs are written atomically and their paths printed.
 */
public final class InitramfsTool {
    static final String USAGE = """
            Usage: InitramfsTool COMMAND

            Commands:
              guest [OUT]      build Flint's default guest initramfs (busybox, agent, /init) at OUT,
                               default: where the locator looks for it; prints the path
              pack DIR OUT     pack the tree under DIR as the root of a cpio newc archive OUT
                               (modes, symlinks and device nodes kept; owners root; sorted)
              missing          print the guest images not built yet, one per line
              -h, --help       this text
            """;

    private InitramfsTool() {
    }

    public static void main(String[] args) {
        try {
            System.exit(run(List.of(args)));
        } catch (IOException | RuntimeException e) {
            System.err.println("initramfs: " + e.getMessage());
            System.exit(1);
        }
    }

    static int run(List<String> args) throws IOException {
        String command = args.isEmpty() ? "--help" : args.get(0);
        switch (command) {
            case "guest" -> {
                GuestImages images = GuestImages.system();
                Path out = args.size() > 1 ? Path.of(args.get(1)) : images.expected().initramfs();
                GuestInitramfs.archive(images.busybox(), images.agent()).writeTo(out);
                System.out.println(out);
                return 0;
            }
            case "pack" -> {
                if (args.size() != 3) {
                    System.err.println("initramfs: pack needs DIR and OUT\n" + USAGE);
                    return 2;
                }
                Path dir = Path.of(args.get(1));
                if (!Files.isDirectory(dir)) {
                    System.err.println("initramfs: " + dir + " is not a directory");
                    return 2;
                }
                Path out = Path.of(args.get(2));
                new CpioArchive().addTree(dir, "/").writeTo(out);
                System.out.println(out);
                return 0;
            }
            case "missing" -> {
                GuestImages.system().missing().forEach(System.out::println);
                return 0;
            }
            case "-h", "--help" -> {
                System.out.print(USAGE);
                return args.isEmpty() ? 2 : 0;
            }
            default -> {
                System.err.println("initramfs: unknown command " + command + "\n" + USAGE);
                return 2;
            }
        }
    }
}

package dev.flint.machine.server;

import dev.flint.machine.Engine;
import dev.flint.machine.InvalidConfigException;
import dev.flint.machine.FlintException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code flint serve}: an {@link Engine} behind the HTTP/JSON API (openapi.yaml) on Netty.
 * Listens on loopback unless told otherwise, and refuses to listen anywhere else without a
 * token: whoever reaches the port can run commands in the machines.
 */
public final class MachineServer implements AutoCloseable {
    /**
     * Netty logs through java.util.logging here; its INFO lines (e.g. about direct buffers) are
     * not for our users. Held in a field because the logging framework keeps loggers weakly.
     */
    private static final java.util.logging.Logger NETTY_LOG = quietNetty();

    private final EventLoopGroup acceptor;
    private final EventLoopGroup io;
    private final ExecutorService workers;
    private final Channel channel;
    private final Engine engine;

    private MachineServer(EventLoopGroup acceptor, EventLoopGroup io, ExecutorService workers, Channel channel, Engine engine) {
        this.acceptor = acceptor;
        this.io = io;
        this.workers = workers;
        this.channel = channel;
        this.engine = engine;
    }

    /** Starts serving {@code engine}; the server owns it from now on and closes it on {@link #close()}. */
    public static MachineServer start(Engine engine, ListenAddress listen, Optional<String> token) {
        try {
            return listen(engine, listen, token);
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    private static MachineServer listen(Engine engine, ListenAddress listen, Optional<String> token) {
        if (token.isEmpty() && !listen.isLoopback()) {
            throw new InvalidConfigException("listening on " + listen + " needs a token (--token or FLINT_TOKEN):"
                    + " anyone who can reach that address could run commands in your machines; or listen on 127.0.0.1");
        }
        if (token.isPresent() && (token.get().length() < 8 || token.get().chars().anyMatch(c -> c <= 0x20 || c > 0x7e))) {
            throw new InvalidConfigException("the token must be at least 8 printable ASCII characters without spaces");
        }
        MachineApi api = new MachineApi(engine, new BearerAuth(token));
        EventLoopGroup acceptor = new NioEventLoopGroup(1);
        EventLoopGroup io = new NioEventLoopGroup(2);
        ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("flint-api-", 0).factory());
        try {
            Channel channel = new ServerBootstrap().group(acceptor, io).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel socket) {
                            socket.pipeline().addLast(HttpLimits.codec(), new HttpServerExpectContinueHandler(),
                                    HttpLimits.aggregator(), new HttpApiHandler(api, workers));
                        }
                    })
                    .bind(listen.host(), listen.port()).sync().channel();
            return new MachineServer(acceptor, io, workers, channel, engine);
        } catch (Exception e) {
            acceptor.shutdownGracefully();
            io.shutdownGracefully();
            workers.shutdownNow();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new FlintException("cannot listen on " + listen + ": " + e.getMessage()
                    + "; pick another address or port with --listen", e);
        }
    }

    private static java.util.logging.Logger quietNetty() {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.netty");
        logger.setLevel(java.util.logging.Level.WARNING);
        return logger;
    }

    /** The port it listens on (the one chosen, when started with port 0). */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Waits until the server is closed. */
    public void awaitClose() throws InterruptedException {
        channel.closeFuture().sync();
    }

    /** Stops accepting, stops the engine's machines (their disks stay) and releases the threads. */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        workers.shutdownNow();
        engine.close();
        // Released when close returns, as it says: no quiet period (the channel is closed already), and
        // waited for, so a caller counting threads and fds (SoakCommandTest) does not see them end later.
        acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        io.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}

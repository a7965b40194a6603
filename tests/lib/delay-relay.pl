#!/usr/bin/perl
# delay-relay.pl - latency for a test link where the kernel has no sch_netem
# (tests/console/ssh.sh).  Perl: swaks, in the test dependencies, brings the full perl.
#
#   delay-relay.pl relay MS PIDFILE LISTEN_ADDR:PORT=TARGET_ADDR:PORT...
#     Listens on each LISTEN address; each connection gets a child that connects to its
#     TARGET and forwards every chunk read, in each direction, MS milliseconds after it
#     arrived (order kept, no throughput limit: a link of MS one way, as netem delay).
#     PIDFILE gets the listener's pid once every address listens; on TERM it ends its
#     children too.
#   delay-relay.pl rtt ADDR:PORT [N]
#     Connects to a TCP echo server and prints "MIN MAX", the fastest and slowest of N
#     (default 5) one-byte round trips in whole milliseconds (rounded down).  Bounded: 10 s.
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY SHUT_WR);
use POSIX qw(EAGAIN EINTR WNOHANG);
use Time::HiRes qw(time);

sub usage { die "usage: delay-relay.pl relay MS PIDFILE LISTEN:PORT=TARGET:PORT... | rtt ADDR:PORT [N]\n" }

sub nodelay { setsockopt($_[0], IPPROTO_TCP, TCP_NODELAY, 1) }

# Both ends of one connection until both directions have ended and been delivered.
sub pump {
	my ($delay, @end) = @_;
	my (@queue, @out, @eof, @shut);    # index d: data read from $end[d], to $end[1 - d]
	for my $d (0, 1) {
		$end[$d]->blocking(0);
		nodelay($end[$d]);
		($queue[$d], $out[$d], $eof[$d], $shut[$d]) = ([], '', 0, 0);
	}
	until ($shut[0] && $shut[1]) {
		my $now = time;
		my $next;
		for my $d (0, 1) {
			my $q = $queue[$d];
			$out[$d] .= ${ shift @$q }[1] while @$q && $q->[0][0] <= $now;
			$next = $q->[0][0] if @$q && (!defined $next || $q->[0][0] < $next);
			if ($eof[$d] && !@$q && $out[$d] eq '' && !$shut[$d]) {
				shutdown($end[1 - $d], SHUT_WR);
				$shut[$d] = 1;
			}
		}
		my ($r, $w) = ('', '');
		for my $d (0, 1) {
			vec($r, fileno $end[$d], 1) = 1 unless $eof[$d];
			vec($w, fileno $end[1 - $d], 1) = 1 if $out[$d] ne '';
		}
		next if $shut[0] && $shut[1];
		my $n = select(my $rr = $r, my $ww = $w, undef, defined $next ? $next - $now : undef);
		next if $n < 0 && $! == EINTR;
		return if $n < 0;
		$now = time;
		for my $d (0, 1) {
			if (vec($rr, fileno $end[$d], 1)) {
				my $got = sysread($end[$d], my $buf, 65536);
				if (!defined $got) { return unless $! == EAGAIN || $! == EINTR }
				elsif ($got == 0) { $eof[$d] = 1 }
				else { push @{ $queue[$d] }, [$now + $delay, $buf] }
			}
			if (vec($ww, fileno $end[1 - $d], 1)) {
				my $put = syswrite($end[1 - $d], $out[$d]);
				if (!defined $put) { return unless $! == EAGAIN || $! == EINTR }
				else { substr($out[$d], 0, $put) = '' }
			}
		}
	}
}

sub relay {
	my ($ms, $pidfile, @routes) = @_;
	usage() unless defined $pidfile && @routes && $ms =~ /^\d+$/;
	my (%target, %children);
	my $sel = '';
	for (@routes) {
		my ($listen, $to) = /^([^=]+:\d+)=([^=]+:\d+)$/ or usage();
		my $l = IO::Socket::INET->new(LocalAddr => $listen, Listen => 16, ReuseAddr => 1)
			or die "delay-relay.pl: cannot listen on $listen: $@\n";
		$target{ fileno $l } = [$l, $to];
		vec($sel, fileno $l, 1) = 1;
	}
	$SIG{PIPE} = 'IGNORE';
	$SIG{CHLD} = sub { while ((my $p = waitpid(-1, WNOHANG)) > 0) { delete $children{$p} } };
	$SIG{TERM} = sub { kill 'TERM', keys %children; exit 0 };
	open(my $pf, '>', $pidfile) or die "delay-relay.pl: $pidfile: $!\n";
	print $pf "$$\n";
	close $pf;
	for (;;) {
		my $n = select(my $ready = $sel, undef, undef, undef);
		next if $n <= 0;
		for my $fd (keys %target) {
			next unless vec($ready, $fd, 1);
			my ($l, $to) = @{ $target{$fd} };
			my $client = $l->accept or next;
			my $pid = fork;
			if (!defined $pid) { close $client; next }
			if ($pid) { $children{$pid} = 1; close $client; next }
			$SIG{TERM} = $SIG{CHLD} = 'DEFAULT';
			close $_->[0] for values %target;
			my $server = IO::Socket::INET->new(PeerAddr => $to, Timeout => 10) or exit 1;
			pump($ms / 1000, $client, $server);
			exit 0;
		}
	}
}

sub rtt {
	my ($to, $n) = @_;
	usage() unless defined $to;
	$n //= 5;
	alarm 10;
	my $s = IO::Socket::INET->new(PeerAddr => $to, Timeout => 5)
		or die "delay-relay.pl: cannot connect to $to: $@\n";
	nodelay($s);
	my ($min, $max);
	for (1 .. $n) {
		my $t0 = time;
		syswrite($s, 'x') == 1 or die "delay-relay.pl: write to $to: $!\n";
		sysread($s, my $buf, 1) == 1 or die "delay-relay.pl: no echo from $to\n";
		my $ms = (time - $t0) * 1000;
		$min = $ms if !defined $min || $ms < $min;
		$max = $ms if !defined $max || $ms > $max;
	}
	printf "%d %d\n", $min, $max;
}

my $mode = shift // usage();
if ($mode eq 'relay') { relay(@ARGV) }
elsif ($mode eq 'rtt') { rtt(@ARGV) }
else { usage() }

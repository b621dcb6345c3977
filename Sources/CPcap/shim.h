// libpcap, from Debian's libpcap-dev: the reference interpreter reads and writes captures with it,
// as the runtime's pcap netif does.
#include <pcap/pcap.h>

// A C++ program with classes in namespaces, a virtual destructor, overloads and std::string members:
// at -O2 its constructors are inlined into main (tests/integration/sym/).
#include <string>
#include <vector>
#include <map>
#include <set>
#include <unordered_map>
#include <memory>
#include <atomic>
#include <optional>
#include <mutex>
#include <thread>
#include <cstdio>

const char *name = "global-name";
int id = 42;
namespace shop { namespace core {
std::mutex inventory_mu;
enum class Color { Red, Green = 5 };
struct Worker {
	int wid = 1;
	std::string name = "worker";
	virtual ~Worker() {}
	virtual int run() { return wid; }
};
struct Consumer : Worker {
	int id = 7;
	static int count;
	Color c = Color::Green;
	int &ref;
	const std::string &sref;
	Consumer(int &r, const std::string &s) : ref(r), sref(s) {}
	int run() override {
		int local = id + wid;
		std::printf("%d %s %s\n", local, name.c_str(), sref.c_str());
		return local;
	}
	void overload(int) { id++; }
	void overload(double) { id--; }
};
int Consumer::count = 3;
}}
int process(const std::string &s, std::vector<int> &v, int &r)
{
	std::map<std::string, int> m{{"a", 1}, {"b", 2}};
	std::set<int> st{3, 1, 2};
	std::unordered_map<int, std::string> um{{1, "one"}};
	auto up = std::make_unique<int>(5);
	auto sp = std::make_shared<std::string>("shared");
	std::atomic<int> at{9};
	std::optional<int> op = 4;
	std::optional<int> none;
	std::lock_guard<std::mutex> g(shop::core::inventory_mu);
	auto lam = [&](int q) { return q + r; };
	r = lam(1) + (int)s.size() + (int)v.size() + *up + at.load() + (op ? *op : 0) + (int)m.size() + (int)st.size() + (int)um.size() + (int)sp->size() + (none ? 1 : 0);
	return r;
}
int main()
{
	int x = 10;
	std::string s = "hello world, a string longer than fifteen";
	std::vector<int> v{1, 2, 3};
	shop::core::Consumer c(x, s);
	c.run();
	c.overload(1);
	c.overload(1.0);
	std::thread t([&] { process(s, v, x); });
	t.join();
	std::printf("%d\n", x);
	return 0;
}

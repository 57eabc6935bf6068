"""Invented demo reports for training and testing the category suggestion.

NOT real citizen reports: sentences built from the phrases below, Lạng Sơn place names and
seeded random variations (no accents, chat shorthand, typos, a second topic mentioned in
passing). Half the training reports are composed from each category's vocabulary (TERMS),
as a province's history covers the words of its fields. The held-out set uses other
phrases, other openings and closings and other places, and no composed sentences, so its
accuracy measures sentences the model never saw, not templates it learnt.

``python -m iocvn.feedback.demo_text`` rewrites ``data/demo_reports.yaml``; the output
depends only on this file and ``SEED``. Pure apart from that command: no database.
"""

from __future__ import annotations

import json
import random
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

OUTPUT = Path(__file__).parent / "data" / "demo_reports.yaml"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader reads it 10× faster
SEED = 20
TRAIN_PER_CATEGORY = 30
HELD_OUT_PER_CATEGORY = 10

# Problem statements per leaf category: (training phrases, held-out phrases). Slots:
# {duong} a street, {noi} a landmark, {xa} a ward or commune, {so} a house number,
# {ngay} how long it has lasted.
# fmt: off
PHRASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "giao_thong.o_ga": ((
        "Ổ gà lớn trên {duong} gần số {so}, xe máy dễ ngã",
        "Mặt {duong} đoạn qua {noi} bị sụt lún, nhiều ổ gà sâu",
        "Đường bong tróc, lồi lõm, trời mưa nước đọng thành vũng trên {duong}",
        "Ổ voi giữa đường ngay {noi}, đêm qua có người đi xe máy bị ngã",
        "Đoạn đường bê tông vào thôn ở {xa} bị nứt vỡ, xe tải không đi được",
        "Mặt {duong} xuống cấp nghiêm trọng, đá dăm bong lên",
        "Hố sâu trên mặt đường trước nhà số {so} {duong}, đề nghị vá lại gấp",
    ), (
        "Đề nghị sửa {duong}, mặt đường toàn hố, đi xe rất nguy hiểm",
        "Đường liên xã ở {xa} hư hỏng nặng sau mưa lũ, lún sâu",
        "Con đường trước {noi} lởm chởm ổ gà {ngay} chưa ai vá",
        "Mặt nhựa bị bóc thành từng mảng, ô tô đi qua phải tránh",
    )),
    "giao_thong.den_tin_hieu": ((
        "Đèn tín hiệu giao thông ở ngã tư {duong} không hoạt động",
        "Đèn xanh đèn đỏ tại nút giao gần {noi} bị hỏng, xe cộ đi lộn xộn",
        "Đèn giao thông chỉ nháy vàng liên tục từ sáng ở ngã tư {duong}",
        "Cột đèn tín hiệu bị xe đâm nghiêng, đèn tắt hẳn",
        "Thời gian đèn đỏ ở ngã ba {duong} quá dài, gần 2 phút",
        "Đèn đỏ bị hỏng mất một bên, người đi đường không nhìn thấy",
    ), (
        "Nút giao {duong} mất đèn điều khiển giao thông, rất dễ va chạm",
        "Hệ thống đèn tín hiệu ở ngã năm gần {noi} tắt ngấm {ngay}",
        "Đèn báo sang đường cho người đi bộ trước {noi} không sáng",
        "Đèn giao thông lúc xanh lúc đỏ lung tung, không theo chu kỳ",
    )),
    "giao_thong.bien_bao": ((
        "Biển báo cấm rẽ trái ở {duong} bị cây che khuất, nhiều xe vi phạm mà không biết",
        "Biển báo khúc cua nguy hiểm trên quốc lộ đoạn qua {xa} bị đổ",
        "Vạch kẻ đường cho người đi bộ trước {noi} đã mờ hết",
        "Hộ lan tôn trên đèo bị xe đâm hỏng, chưa được thay",
        "Đề nghị lắp biển báo giảm tốc độ trước cổng trường ở {xa}",
        "Biển chỉ dẫn ghi sai tên {duong}",
    ), (
        "Gương cầu lồi ở khúc cua gần {noi} bị vỡ, xe ngược chiều không thấy nhau",
        "Cần bổ sung biển hạn chế tốc độ đoạn đường dốc ở {xa}",
        "Sơn kẻ vạch làn đường trên {duong} bong hết, ban đêm không nhìn thấy",
        "Biển báo giao thông bị xiêu vẹo, chữ mờ không đọc được",
    )),
    "giao_thong.un_tac": ((
        "Ùn tắc kéo dài trên {duong} vào giờ cao điểm sáng",
        "Xe tải chở hàng ra cửa khẩu xếp hàng dài, tắc đường cả cây số",
        "Giờ tan học trước {noi} phụ huynh đón con tràn ra đường, tắc nghẽn",
        "Tắc đường nghiêm trọng ở {duong} do thi công mà không có người phân luồng",
        "Chiều nào {duong} cũng kẹt xe, đề nghị bố trí cảnh sát giao thông phân luồng",
    ), (
        "Xe container đỗ chờ thông quan kín đường, xe máy không lách qua được",
        "Cứ 5 giờ chiều là đoạn gần {noi} đứng im, nhích từng mét",
        "Giao thông hỗn loạn, ách tắc ở nút giao {duong} suốt buổi sáng",
        "Đề nghị phân luồng vì đoạn {duong} thường xuyên tắc nghẽn",
    )),
    "giao_thong.do_xe": ((
        "Ô tô đỗ dưới lòng {duong} suốt ngày đêm, chắn lối vào nhà dân",
        "Xe khách dừng đón trả khách tùy tiện trước {noi}",
        "Nhiều xe tải đỗ qua đêm trên {duong}, không bật đèn cảnh báo",
        "Ô tô đỗ chắn cổng nhà số {so} {duong}, gọi mãi chủ xe không ra",
        "Xe đỗ hai bên đường khiến đường chỉ còn một làn",
    ), (
        "Taxi đậu thành hàng dài trước cổng {noi}, người đi bộ phải xuống lòng đường",
        "Có chiếc xe bán tải đậu trước ngõ {so} {duong} nhiều ngày không ai di chuyển",
        "Xe ba gác dừng đỗ bừa bãi bốc dỡ hàng ở {duong}",
        "Đậu xe sai quy định ở khu vực cấm dừng đỗ gần {noi}",
    )),
    "dien_chieu_sang.den_duong": ((
        "Đèn đường ngõ {so} {duong} hỏng {ngay}, tối om",
        "Cả dãy đèn chiếu sáng trên {duong} không sáng, buổi tối rất nguy hiểm",
        "Bóng đèn cao áp trước {noi} bị cháy",
        "Đèn đường bật sáng cả ban ngày ở {duong}, lãng phí điện",
        "Đường vào thôn ở {xa} không có đèn chiếu sáng, đề nghị lắp đặt",
        "Đèn đường chập chờn lúc sáng lúc tắt ở khu vực {noi}",
    ), (
        "Khu phố tối như hũ nút vì đèn công cộng tắt hết {ngay}",
        "Hệ thống chiếu sáng công cộng ở {noi} hư, cần thay bóng",
        "Mấy cột đèn trên {duong} không lên đèn, đi đêm phải bật pha",
        "Tuyến {duong} mất chiếu sáng, người dân đi bộ buổi tối sợ",
    )),
    "dien_chieu_sang.mat_dien": ((
        "Mất điện {ngay} ở {xa} mà không có thông báo trước",
        "Điện chập chờn, điện áp yếu, tủ lạnh không chạy được",
        "Khu vực {noi} mất điện liên tục vào buổi tối",
        "Cắt điện đột xuất giữa trưa nắng, người già và trẻ nhỏ rất khổ",
        "Trạm biến áp gần {noi} nổ, cả khu mất điện",
    ), (
        "Nhà tôi ở {duong} cứ tối là cúp điện, đồ điện hỏng hết",
        "Điện yếu quá, bóng đèn chỉ sáng lờ mờ, máy bơm không chạy",
        "Cả xóm ở {xa} bị ngắt điện từ sáng tới giờ chưa có lại",
        "Lịch cắt điện không được báo, quán ăn thiệt hại nặng",
    )),
    "dien_chieu_sang.day_dien": ((
        "Dây điện võng thấp sát đầu người đi đường ở {duong}",
        "Cột điện nghiêng sắp đổ trước nhà số {so} {duong}",
        "Dây điện bị đứt rơi xuống đường sau trận gió, rất nguy hiểm",
        "Dây cáp viễn thông chằng chịt, rủ xuống lòng đường gần {noi}",
        "Tủ điện để hở, trẻ con chơi gần đó có thể bị điện giật",
    ), (
        "Cột điện bê tông bị nứt gãy, lộ cả cốt thép ở {xa}",
        "Dây điện trung thế chạm vào cành cây, tóe lửa khi trời mưa",
        "Bùi nhùi dây điện trên cột trước {noi} bốc cháy",
        "Đường dây hạ thế đứt, nằm vắt qua ruộng ở {xa}",
    )),
    "cap_thoat_nuoc.ngap": ((
        "Mưa to là ngập sâu cả đoạn {duong}, nước tràn vào nhà dân",
        "Khu vực {noi} ngập úng sau mỗi trận mưa, xe chết máy hàng loạt",
        "Nước ngập đến đầu gối ở {duong}, trẻ em không đi học được",
        "Ngập lụt kéo dài ở {xa}, nước không rút được",
        "Mưa chưa đến nửa tiếng mà {duong} đã thành sông",
        "Nước mưa tràn từ đồi xuống làm ngập khu dân cư ở {xa}",
    ), (
        "Sau trận mưa đêm qua, {duong} biến thành biển nước",
        "Nhà dân gần {noi} bị nước vào tận giường, cần hỗ trợ khẩn cấp",
        "Chỗ trũng gần {noi} cứ mưa là úng, nước đọng cả tuần",
        "Lũ dâng nhanh ở {xa}, nhiều hộ phải kê đồ đạc lên cao",
    )),
    "cap_thoat_nuoc.cong_tac": ((
        "Cống thoát nước trên {duong} bị tắc, mưa là nước tràn lên mặt đường",
        "Rãnh thoát nước trước {noi} đầy bùn đất, bốc mùi",
        "Hố ga mất nắp ở {duong} gần số {so}, rất nguy hiểm cho người đi đường",
        "Nắp cống bị vỡ, xe máy sụp bánh",
        "Mương thoát nước ở {xa} bị lấp, nước không chảy được",
        "Cống ngầm bị sụt, đề nghị nạo vét và sửa chữa",
    ), (
        "Miệng cống trước nhà số {so} {duong} bị rác bịt kín",
        "Đề nghị nạo vét mương tiêu nước ở {xa}, bùn đọng cao",
        "Tấm đan rãnh nước bị kênh, trẻ con đi qua có thể sụp chân",
        "Hệ thống thoát nước khu {noi} xuống cấp, nước thải ứ lại",
    )),
    "cap_thoat_nuoc.mat_nuoc": ((
        "Mất nước sinh hoạt {ngay} ở {xa}, không được báo trước",
        "Nước máy có màu vàng đục và mùi lạ ở {duong}",
        "Nước sạch yếu, tầng 2 không lên nước",
        "Khu {noi} bị cắt nước mà công ty cấp nước không thông báo",
        "Nước máy có cặn, đun sôi vẫn có váng",
    ), (
        "Vòi nước nhà tôi khô cong {ngay} nay, phải đi xin nước",
        "Nước sinh hoạt có mùi clo nồng nặc, không dám dùng nấu ăn",
        "Đã nộp tiền nước đầy đủ mà tuần nào cũng mất nước vài ngày",
        "Áp lực nước thấp, nước chỉ chảy nhỏ giọt vào buổi sáng",
    )),
    "cap_thoat_nuoc.vo_ong": ((
        "Vỡ đường ống nước trên {duong}, nước phun lên mặt đường",
        "Ống nước sạch bị rò rỉ trước nhà số {so} {duong} nhiều ngày, lãng phí",
        "Đường ống cấp nước bị đơn vị thi công đào trúng làm vỡ",
        "Nước chảy lênh láng từ ống dẫn nước bị nứt gần {noi}",
    ), (
        "Ống nước chính bị bục, nước tuôn xối xả ra {duong}",
        "Chỗ đồng hồ nước đầu ngõ bị rò, nước rỉ ra suốt đêm",
        "Thi công cáp ngầm làm thủng ống dẫn nước, cả khu bị ảnh hưởng",
    )),
    "moi_truong.rac_thai": ((
        "Rác thải đổ trộm ở bãi đất trống gần {noi}, bốc mùi hôi thối",
        "Xe thu gom rác {ngay} không đến, rác tràn ra {duong}",
        "Người dân vứt rác bừa bãi ven suối ở {xa}",
        "Điểm tập kết rác trên {duong} quá tải, ruồi nhặng bu đầy",
        "Có người đổ phế thải xây dựng ra lề đường ban đêm",
        "Bãi rác của {xa} quá tải, rác chất thành đống",
    ), (
        "Túi ni lông, vỏ chai vứt đầy quanh {noi}, mất mỹ quan",
        "Đề nghị tăng chuyến thu gom rác ở {duong}, rác để {ngay} chưa chở đi",
        "Ai đó đổ cả xe đất cát lẫn gạch vụn ra lề đường gần {noi}",
        "Thùng rác công cộng tràn ra ngoài, chó mèo bới tung",
    )),
    "moi_truong.o_nhiem": ((
        "Xưởng gỗ gần {noi} xả khói bụi mù mịt, người dân ho suốt",
        "Cơ sở chăn nuôi lợn xả nước thải ra suối ở {xa}, hôi thối",
        "Đốt rác, đốt rơm rạ gây khói mù cả khu dân cư",
        "Bụi từ xe chở đất đá trên {duong} bay mù mịt",
        "Nhà máy ở {xa} xả nước thải đen ngòm ra mương",
        "Lò gạch thủ công bốc khói đen, ô nhiễm không khí",
    ), (
        "Mùi hôi nồng nặc từ trang trại gà ở {xa} bay vào nhà dân",
        "Xưởng sơn ở {duong} có mùi hóa chất rất khó chịu",
        "Nước suối chuyển màu và cá chết hàng loạt, nghi có chất thải",
        "Bụi đá từ mỏ khai thác gần {xa} phủ trắng mái nhà",
    )),
    "moi_truong.cay_xanh": ((
        "Cây xanh trên {duong} bị gãy đổ chắn ngang đường sau mưa bão",
        "Cành cây khô to sắp rơi xuống trước {noi}, đề nghị cắt tỉa",
        "Cây cổ thụ nghiêng sắp đổ vào nhà số {so} {duong}",
        "Cây xanh mọc um tùm che khuất biển báo và đèn đường",
        "Gốc cây bị mục, rễ trồi lên làm vỡ vỉa hè",
    ), (
        "Cây phượng trước cổng {noi} bị bật gốc, đè lên dây điện",
        "Đề nghị chặt hạ cây sâu mục ở {duong} trước mùa mưa bão",
        "Cành cây vươn ra lòng đường, xe tải đi qua quệt vào",
    )),
    "trat_tu_do_thi.lan_chiem_via_he": ((
        "Quán ăn bày bàn ghế lấn chiếm hết vỉa hè {duong}, người đi bộ phải xuống đường",
        "Hàng rong bày bán lấn chiếm lòng đường trước {noi}",
        "Cửa hàng để xe máy, hàng hóa kín vỉa hè ở {duong}",
        "Họp chợ tạm, chợ cóc dưới lòng đường gần {noi} gây mất trật tự",
        "Nhà số {so} {duong} dựng mái che, bục bê tông lấn ra vỉa hè",
    ), (
        "Không còn lối cho người đi bộ vì vỉa hè {duong} bị bán hàng chiếm dụng",
        "Quán cà phê kê ghế ra tận mép đường ở {noi}",
        "Tiểu thương bày sạp hàng ra lòng đường gần {noi}, rất mất trật tự",
        "Tiệm rửa xe chiếm vỉa hè làm chỗ rửa xe, nước chảy lênh láng",
    )),
    "trat_tu_do_thi.quang_cao": ((
        "Quảng cáo khoan cắt bê tông dán tràn lan trên cột điện ở {duong}",
        "Biển quảng cáo lắp trái phép che kín mặt tiền trên {duong}",
        "Tờ rơi cho vay nặng lãi dán khắp tường nhà dân ở {xa}",
        "Băng rôn quảng cáo treo ngang đường bị rách, bay phấp phới",
        "Vẽ số điện thoại quảng cáo lên tường, lên vỉa hè",
    ), (
        "Rao vặt, số điện thoại thông tắc cống in đầy trên tường {noi}",
        "Pano quảng cáo cũ bị gió làm xiêu vẹo, có thể rơi vào người",
        "Phát tờ rơi quảng cáo nhét đầy cổng nhà dân ở {duong}",
    )),
    "xay_dung.khong_phep": ((
        "Xây dựng trái phép lấn chiếm vỉa hè ở {duong}",
        "Nhà số {so} {duong} xây thêm tầng không có giấy phép",
        "Công trình xây dựng sai phép, cao hơn so với giấy phép ở {xa}",
        "Xây nhà trên đất nông nghiệp ở {xa} mà chính quyền không xử lý",
        "Cơi nới ban công, làm mái tôn vượt quá chỉ giới xây dựng",
        "Có người đang xây dựng công trình không phép ở {xa}",
    ), (
        "Công trình đang thi công không treo biển giấy phép xây dựng ở {duong}",
        "Hàng xóm tự ý đập tường, xây lấn sang ranh giới nhà tôi",
        "Đề nghị kiểm tra việc xây nhà 5 tầng trong khu quy hoạch cây xanh gần {noi}",
        "Dựng nhà xưởng khung thép trái phép vào ban đêm ở {xa}",
    )),
    "xay_dung.mat_an_toan": ((
        "Công trình đang xây ở {duong} không che chắn, vật liệu rơi xuống đường",
        "Xe chở vật liệu xây dựng làm rơi vãi cát đá trên {duong}",
        "Giàn giáo công trình gần {noi} rung lắc, không có lưới bảo vệ",
        "Thi công đào đường xong không hoàn trả mặt bằng, để lại hố sâu",
        "Công trình xây dựng gần {noi} làm nứt tường nhà bên cạnh",
    ), (
        "Gạch vữa từ tầng cao công trình rơi trúng xe máy đi qua {duong}",
        "Hố móng công trình không rào chắn, trẻ em có thể ngã xuống",
        "Cần cẩu công trình quay qua đầu người đi đường ở {noi}",
        "Công trường đổ bê tông ban đêm, vữa chảy tràn ra {duong}",
    )),
    "dat_dai.lan_chiem_dat": ((
        "Hộ dân lấn chiếm đất công làm quán ở {xa}",
        "Có người rào chiếm đất hành lang suối ở {xa}",
        "Tự ý san lấp đất ruộng để phân lô bán nền ở {xa}",
        "Đất nghĩa trang của thôn bị lấn chiếm để trồng cây",
        "Tranh chấp ranh giới đất với hộ bên cạnh, xã chưa hòa giải",
        "Lấn chiếm đất hành lang an toàn giao thông để dựng lều quán",
    ), (
        "Khu đất công cạnh {noi} bị người dân tự ý rào lại làm vườn",
        "Tranh chấp đất đai giữa hai gia đình ở {xa} kéo dài, đề nghị giải quyết",
        "Chuyển mục đích sử dụng đất trái phép, biến ruộng thành ao ở {xa}",
        "Một số hộ cắm mốc chiếm đất rừng phòng hộ ở {xa}",
    )),
    "dat_dai.thu_tuc_dat": ((
        "Nộp hồ sơ cấp giấy chứng nhận quyền sử dụng đất {ngay} chưa có kết quả",
        "Xin cấp sổ đỏ cho thửa đất ở {xa} bị trả hồ sơ nhiều lần",
        "Sổ đỏ ghi sai diện tích, sai tên chủ sử dụng đất",
        "Đất bị thu hồi làm dự án ở {xa} nhưng chưa được bồi thường thỏa đáng",
        "Đề nghị giải thích giá đền bù giải phóng mặt bằng đoạn qua {xa}",
    ), (
        "Làm thủ tục tách thửa đất ở {xa} mà chờ mãi không xong",
        "Tiền bồi thường khi thu hồi đất mở rộng {duong} quá thấp",
        "Bản đồ địa chính sai so với thực tế, không sang tên được",
        "Xin hỏi về quy hoạch sử dụng đất khu vực {noi}",
    )),
    "an_ninh_trat_tu.gay_on": ((
        "Karaoke hát to sau 23h ở {duong}, không ai ngủ được",
        "Quán nhậu gần {noi} mở nhạc ầm ĩ đến nửa đêm",
        "Loa kéo hát karaoke ngoài sân cả ngày lẫn đêm ở {xa}",
        "Nhóm thanh niên nhậu say la hét, chửi bới ngoài {duong}",
        "Quán bar trên {duong} mở nhạc cực to sau 12 giờ đêm",
    ), (
        "Hàng xóm mở loa thùng hát suốt đêm, người già và trẻ nhỏ mất ngủ",
        "Tiếng nhạc xập xình từ quán bia gần {noi} đến 1 giờ sáng",
        "Ồn ào quá mức từ quán hát ở {duong}, đề nghị công an xử lý",
        "Đám cưới dựng rạp mở nhạc to đến khuya ở {xa}",
    )),
    "an_ninh_trat_tu.trom_cap": ((
        "Trộm xe máy liên tục ở khu vực {noi}",
        "Cướp giật túi xách trên {duong} lúc chiều tối",
        "Nhà số {so} {duong} bị kẻ gian đột nhập lấy trộm tài sản",
        "Mất trộm gà, chó ở {xa}, người dân rất lo lắng",
        "Có đối tượng lạ lảng vảng bẻ khóa xe trước {noi}",
    ), (
        "Kẻ gian lấy trộm dây điện, nắp cống ở {duong}",
        "Đi {noi} bị móc túi mất điện thoại và ví tiền",
        "Nhà tôi ở {xa} vừa bị mất cắp trâu",
        "Bị giật điện thoại khi đang đi xe máy trên {duong}",
    )),
    "an_ninh_trat_tu.dua_xe": ((
        "Thanh niên đua xe, nẹt pô ầm ĩ trên {duong} lúc nửa đêm",
        "Nhóm thanh niên tụ tập mang theo hung khí gần {noi}",
        "Đánh nhau gây rối trật tự trước {noi}",
        "Tụ tập cờ bạc, đánh bạc ở {xa}",
        "Nghi có người sử dụng ma túy tụ tập ở bãi đất trống gần {noi}",
        "Xe máy độ chế chạy lạng lách, bốc đầu ở {duong}",
    ), (
        "Tối nào cũng có đám thanh niên phóng xe tốc độ cao, rú ga inh ỏi ở {duong}",
        "Hai nhóm thanh niên hỗn chiến bằng dao kiếm gần {noi}",
        "Phát hiện ổ nhóm tiêm chích trong khu nhà hoang ở {xa}",
        "Đám thanh niên choai choai tụ tập quấy rối người qua đường ở {noi}",
    )),
    "y_te.an_toan_thuc_pham": ((
        "Quán ăn gần {noi} không đảm bảo vệ sinh an toàn thực phẩm",
        "Ăn cơm ở bếp ăn tập thể xong nhiều công nhân bị đau bụng, nghi ngộ độc",
        "Bán thịt lợn không rõ nguồn gốc, không có dấu kiểm dịch ở {noi}",
        "Cơ sở sản xuất giò chả dùng hàn the ở {xa}",
        "Thực phẩm hết hạn sử dụng vẫn bày bán ở cửa hàng trên {duong}",
        "Trà sữa bán trước cổng trường không rõ nguồn gốc, học sinh uống bị đau bụng",
    ), (
        "Con tôi ăn bánh mì ở {duong} xong bị nôn, đi ngoài",
        "Lò mổ trâu bò lậu không kiểm dịch hoạt động ban đêm ở {xa}",
        "Bánh kẹo nhập lậu không nhãn mác bán tràn lan ở {noi}",
        "Bếp ăn trường mầm non ở {xa} dùng rau củ héo úa, ôi thiu",
    )),
    "y_te.dich_benh": ((
        "Nhiều ca sốt xuất huyết ở {xa}, đề nghị phun thuốc diệt muỗi",
        "Muỗi nhiều quá, khu {noi} có người bị sốt xuất huyết phải nhập viện",
        "Lợn chết do dịch tả lợn châu Phi bị vứt xuống suối ở {xa}",
        "Dịch tay chân miệng ở trường mầm non {xa}, phụ huynh rất lo",
        "Đề nghị tổ chức tiêm vắc xin cho trẻ em ở {xa}",
    ), (
        "Trong xóm có mấy người sốt cao, phát ban, nghi bị sởi",
        "Ao tù nước đọng gần {noi} sinh bọ gậy, lăng quăng rất nhiều",
        "Gà chết hàng loạt không rõ nguyên nhân ở {xa}, sợ cúm gia cầm",
        "Cần phun khử khuẩn khu vực có người mắc bệnh truyền nhiễm ở {duong}",
    )),
    "y_te.kham_chua_benh": ((
        "Bệnh viện đa khoa tỉnh đông quá, chờ khám từ sáng đến trưa",
        "Nhân viên trạm y tế {xa} có thái độ thờ ơ, quát nạt bệnh nhân",
        "Khám bảo hiểm y tế bị yêu cầu mua thêm thuốc ngoài",
        "Trạm y tế {xa} thiếu thuốc, thiếu bác sĩ",
        "Phòng khám tư nhân không có giấy phép trên {duong}",
    ), (
        "Đi khám bằng thẻ bảo hiểm y tế mà bị đối xử khác với bệnh nhân dịch vụ",
        "Xe cấp cứu gọi mãi không đến, người bệnh chuyển nặng",
        "Cơ sở nha khoa trên {duong} làm răng bị biến chứng, không chịu trách nhiệm",
        "Bác sĩ trực đêm ở bệnh viện không có mặt khi bệnh nhân nguy kịch",
    )),
    "giao_duc.truong_lop": ((
        "Phòng học trường tiểu học {xa} bị dột, tường nứt",
        "Nhà vệ sinh trường học ở {xa} bẩn, hỏng, học sinh không dám dùng",
        "Trường mầm non thiếu phòng học, trẻ phải học nhờ nhà văn hóa",
        "Bàn ghế học sinh ở trường {xa} cũ nát, không đủ",
        "Tường rào trường học gần {noi} bị đổ, mất an toàn cho học sinh",
    ), (
        "Điểm trường lẻ ở {xa} không có nước sạch, các cháu phải mang nước từ nhà",
        "Mái tôn lớp học bị gió tốc, học sinh phải nghỉ học",
        "Sân trường {xa} lầy lội, xuống cấp, không có chỗ cho học sinh chơi",
        "Trường thiếu giáo viên, một cô dạy ghép hai lớp",
    )),
    "giao_duc.thu_phi": ((
        "Trường tiểu học ở {xa} thu nhiều khoản ngoài quy định đầu năm học",
        "Giáo viên ép học sinh đi học thêm tại nhà",
        "Phụ huynh bị vận động đóng tiền mua máy chiếu, điều hòa cho lớp",
        "Quỹ phụ huynh thu quá cao, không công khai chi tiêu",
        "Bắt học sinh mua sách tham khảo, đồng phục tại trường",
    ), (
        "Đầu năm phải nộp cả chục khoản tiền, có khoản không rõ mục đích",
        "Cô chủ nhiệm dạy thêm lớp mình, không đi học thêm thì bị trù dập",
        "Ban đại diện cha mẹ học sinh thu tiền sửa lớp học không minh bạch",
    )),
    "dich_vu_cong.ho_so": ((
        "Hồ sơ đăng ký khai sinh nộp ở UBND {xa} quá hạn chưa trả kết quả",
        "Nộp hồ sơ đăng ký kinh doanh {ngay} chưa được giải quyết",
        "Bộ phận một cửa yêu cầu bổ sung giấy tờ nhiều lần, mỗi lần một kiểu",
        "Thủ tục chứng thực bản sao ở {xa} quá rườm rà",
        "Hồ sơ trễ hẹn mà không có văn bản xin lỗi",
    ), (
        "Xin giấy xác nhận cư trú mà phải đi lại ba bốn lần vẫn chưa xong",
        "Giấy hẹn trả kết quả đã qua mấy tuần, hỏi thì bảo đợi tiếp",
        "Thủ tục đăng ký hộ kinh doanh đòi quá nhiều giấy tờ không cần thiết",
        "Đăng ký kết hôn ở {xa} bị hẹn lên hẹn xuống",
    )),
    "dich_vu_cong.thai_do": ((
        "Cán bộ tiếp dân ở UBND {xa} có thái độ hách dịch, cáu gắt",
        "Cán bộ một cửa đi làm muộn, về sớm, người dân phải chờ",
        "Cán bộ gợi ý đưa tiền bồi dưỡng thì làm nhanh hồ sơ",
        "Công chức nói chuyện điện thoại riêng trong giờ làm, không tiếp dân",
        "Cán bộ địa chính ở {xa} gây khó khăn cho người dân",
    ), (
        "Nhân viên bộ phận tiếp nhận quát mắng người cao tuổi",
        "Đến làm giấy tờ thì phòng đóng cửa, không có ai trực",
        "Có dấu hiệu nhũng nhiễu, vòi vĩnh khi làm thủ tục ở {xa}",
    )),
    "dich_vu_cong.truc_tuyen": ((
        "Cổng dịch vụ công trực tuyến báo lỗi, không nộp được hồ sơ",
        "Thanh toán lệ phí trực tuyến bị trừ tiền mà hồ sơ vẫn báo chưa nộp phí",
        "Không đăng nhập được bằng tài khoản định danh điện tử VNeID",
        "Nộp hồ sơ online xong không nhận được mã hồ sơ",
        "Trang web dịch vụ công của tỉnh chậm, treo liên tục",
    ), (
        "Ứng dụng dịch vụ công trên điện thoại bị đơ, tải tệp đính kèm không được",
        "Hệ thống một cửa điện tử không tra cứu được tình trạng hồ sơ",
        "Đã nộp trực tuyến nhưng xã vẫn bắt nộp bản giấy",
    )),
    "khac": ((
        "Đề nghị làm thêm sân chơi cho thiếu nhi ở {xa}",
        "Đề nghị tổ chức thêm hoạt động văn hóa, thể thao cho người cao tuổi",
        "Cảm ơn chính quyền {xa} đã sửa đường rất nhanh",
        "Sóng điện thoại yếu, mạng internet chập chờn ở {xa}",
        "Hỏi về chế độ trợ cấp cho người có công với cách mạng",
        "Giá cả hàng hóa ở {noi} tăng cao bất thường",
    ), (
        "Mong tỉnh có chính sách hỗ trợ nông dân trồng hồi, trồng na",
        "Đề nghị xây nhà văn hóa thôn ở {xa}",
        "Xin thông tin về chương trình hỗ trợ nhà ở cho hộ nghèo",
        "Cảm ơn lực lượng chức năng đã hỗ trợ bà con kịp thời",
    )),
}
# fmt: on

# Vocabulary of each leaf for composed training sentences ("{subject} {problem} {where}"):
# (subjects, problems), any pair reads as Vietnamese. A province's real history covers its
# fields' vocabulary this way; the held-out phrases above stay unseen as sentences.
# fmt: off
TERMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "giao_thong.o_ga": (
        ("Mặt đường", "Đường nhựa", "Đoạn đường bê tông", "Đường liên thôn", "Mặt cầu"),
        ("có nhiều ổ gà", "bị sụt lún", "hư hỏng, lồi lõm", "bong tróc từng mảng",
         "có hố sâu nguy hiểm", "xuống cấp, cần sửa chữa", "nứt vỡ nhiều chỗ", "có ổ voi"),
    ),
    "giao_thong.den_tin_hieu": (
        ("Đèn tín hiệu", "Đèn giao thông", "Đèn xanh đèn đỏ", "Cột đèn tín hiệu",
         "Đèn báo cho người đi bộ", "Đèn điều khiển giao thông"),
        ("ở ngã tư bị hỏng", "không hoạt động", "chỉ nháy vàng", "bị tắt", "chạy sai chu kỳ",
         "bị lệch, không nhìn thấy"),
    ),
    "giao_thong.bien_bao": (
        ("Biển báo", "Biển cấm", "Biển chỉ dẫn", "Vạch kẻ đường", "Hộ lan", "Gương cầu lồi",
         "Biển hạn chế tốc độ"),
        ("bị đổ", "bị che khuất", "bị mờ", "bị hỏng, chưa thay", "bị mất", "đặt sai vị trí",
         "cần bổ sung"),
    ),
    "giao_thong.un_tac": (
        ("Giao thông", "Xe cộ", "Đoạn đường", "Nút giao", "Ngã tư"),
        ("ùn tắc kéo dài", "tắc nghẽn giờ cao điểm", "kẹt cứng", "ách tắc, cần phân luồng",
         "ùn ứ hàng cây số", "tắc đường mỗi chiều"),
    ),
    "giao_thong.do_xe": (
        ("Ô tô", "Xe tải", "Xe khách", "Taxi", "Xe container", "Xe bán tải"),
        ("đỗ dưới lòng đường", "dừng đỗ sai quy định", "đậu chắn lối đi", "đỗ qua đêm trên đường",
         "đón trả khách tùy tiện", "đỗ ở khu vực cấm dừng đỗ"),
    ),
    "dien_chieu_sang.den_duong": (
        ("Đèn đường", "Đèn chiếu sáng", "Bóng đèn cao áp", "Cột đèn", "Đèn công cộng",
         "Hệ thống chiếu sáng"),
        ("bị hỏng", "không sáng", "tắt từ mấy hôm nay", "chập chờn", "bị cháy bóng",
         "không lên đèn buổi tối", "sáng cả ban ngày"),
    ),
    "dien_chieu_sang.mat_dien": (
        ("Khu dân cư", "Cả xóm", "Nhà dân", "Khu phố", "Thôn"),
        ("bị mất điện", "bị cắt điện không báo trước", "điện chập chờn", "điện áp yếu",
         "cúp điện liên tục", "mất điện cả ngày"),
    ),
    "dien_chieu_sang.day_dien": (
        ("Dây điện", "Cột điện", "Dây cáp", "Tủ điện", "Đường dây hạ thế", "Dây điện trung thế"),
        ("võng thấp", "bị đứt", "nghiêng sắp đổ", "bị hở, nguy hiểm", "chạm cành cây",
         "bốc cháy, tóe lửa", "nứt gãy"),
    ),
    "cap_thoat_nuoc.ngap": (
        ("Đường", "Khu dân cư", "Nhà dân", "Ngõ", "Khu vực trũng"),
        ("bị ngập sâu sau mưa", "ngập úng kéo dài", "bị nước tràn vào", "ngập nước mỗi khi mưa to",
         "thành sông khi mưa", "ngập mà nước không rút được"),
    ),
    "cap_thoat_nuoc.cong_tac": (
        ("Cống thoát nước", "Rãnh thoát nước", "Hố ga", "Nắp cống", "Mương tiêu", "Miệng cống"),
        ("bị tắc", "đầy bùn rác", "bị mất nắp", "bị vỡ", "bốc mùi hôi", "cần nạo vét", "bị sụt"),
    ),
    "cap_thoat_nuoc.mat_nuoc": (
        ("Nước máy", "Nước sinh hoạt", "Nước sạch", "Vòi nước"),
        ("bị mất", "bị cắt không thông báo", "đục, có mùi lạ", "yếu, chảy nhỏ giọt", "có cặn bẩn",
         "mất nhiều ngày"),
    ),
    "cap_thoat_nuoc.vo_ong": (
        ("Đường ống nước", "Ống cấp nước", "Ống nước sạch", "Đồng hồ nước", "Ống dẫn nước"),
        ("bị vỡ", "bị rò rỉ", "bị bục, nước phun", "bị nứt, nước chảy lênh láng",
         "bị đào trúng làm vỡ"),
    ),
    "moi_truong.rac_thai": (
        ("Rác thải", "Rác sinh hoạt", "Phế thải xây dựng", "Túi ni lông, vỏ chai",
         "Điểm tập kết rác", "Thùng rác"),
        ("bị đổ trộm", "không được thu gom", "bị vứt bừa bãi", "tràn ra đường", "bốc mùi hôi thối",
         "chất thành đống"),
    ),
    "moi_truong.o_nhiem": (
        ("Xưởng sản xuất", "Nhà máy", "Trại chăn nuôi", "Lò gạch", "Cơ sở chế biến", "Mỏ đá"),
        ("xả khói bụi", "xả nước thải ra suối", "gây mùi hôi nồng nặc", "gây ô nhiễm không khí",
         "thải hóa chất độc hại", "làm bụi bay mù mịt"),
    ),
    "moi_truong.cay_xanh": (
        ("Cây xanh", "Cành cây", "Cây cổ thụ", "Cây phượng", "Cây sấu", "Gốc cây"),
        ("bị gãy đổ", "sắp đổ", "cần cắt tỉa", "bị sâu mục", "bật gốc sau mưa bão",
         "vươn ra lòng đường"),
    ),
    "trat_tu_do_thi.lan_chiem_via_he": (
        ("Quán ăn", "Hàng rong", "Cửa hàng", "Quán cà phê", "Tiểu thương", "Tiệm sửa xe"),
        ("lấn chiếm vỉa hè", "bày hàng ra lòng đường", "chiếm hết lối đi bộ",
         "kê bàn ghế ra vỉa hè", "họp chợ dưới lòng đường"),
    ),
    "trat_tu_do_thi.quang_cao": (
        ("Quảng cáo", "Tờ rơi", "Biển quảng cáo", "Băng rôn", "Rao vặt"),
        ("dán trái phép", "dán tràn lan trên cột điện", "che kín mặt tiền", "treo sai quy định",
         "vẽ bậy lên tường"),
    ),
    "xay_dung.khong_phep": (
        ("Công trình", "Nhà dân", "Hộ gia đình", "Nhà xưởng", "Công trình nhà ở"),
        ("xây dựng không phép", "xây sai giấy phép", "cơi nới trái phép", "xây vượt tầng",
         "xây lấn ra vỉa hè", "xây trên đất nông nghiệp"),
    ),
    "xay_dung.mat_an_toan": (
        ("Công trình đang thi công", "Công trường", "Giàn giáo", "Hố móng", "Xe chở vật liệu"),
        ("không che chắn", "làm rơi vãi vật liệu", "mất an toàn", "không rào chắn",
         "làm nứt nhà bên cạnh", "để vật liệu rơi xuống đường"),
    ),
    "dat_dai.lan_chiem_dat": (
        ("Đất công", "Đất rừng", "Đất hành lang giao thông", "Đất ruộng", "Đất nghĩa trang",
         "Đất hành lang suối"),
        ("bị lấn chiếm", "bị rào chiếm trái phép", "bị san lấp trái phép", "bị phân lô bán nền",
         "bị chuyển mục đích sử dụng trái phép", "đang bị tranh chấp"),
    ),
    "dat_dai.thu_tuc_dat": (
        ("Hồ sơ cấp sổ đỏ", "Giấy chứng nhận quyền sử dụng đất", "Hồ sơ tách thửa",
         "Tiền bồi thường thu hồi đất", "Thủ tục sang tên đất", "Bản đồ địa chính"),
        ("chậm giải quyết", "bị trả lại nhiều lần", "ghi sai thông tin", "chưa được chi trả",
         "chờ mãi không xong", "không rõ ràng"),
    ),
    "an_ninh_trat_tu.gay_on": (
        ("Quán karaoke", "Quán nhậu", "Loa kéo", "Quán bar", "Hàng xóm", "Quán bia"),
        ("hát to sau 22 giờ", "mở nhạc ầm ĩ", "gây ồn ào đến nửa đêm", "làm mất ngủ cả khu",
         "la hét ồn ào"),
    ),
    "an_ninh_trat_tu.trom_cap": (
        ("Kẻ gian", "Đối tượng lạ", "Kẻ trộm", "Nhóm đối tượng"),
        ("trộm xe máy", "đột nhập nhà dân", "cướp giật túi xách", "bẻ khóa xe", "lấy trộm tài sản",
         "móc túi ở chợ"),
    ),
    "an_ninh_trat_tu.dua_xe": (
        ("Thanh niên", "Nhóm thanh niên", "Đám thanh niên", "Nhóm đối tượng"),
        ("đua xe trái phép", "tụ tập gây rối", "đánh nhau", "nẹt pô, lạng lách", "mang hung khí",
         "tụ tập đánh bạc", "rú ga, bốc đầu"),
    ),
    "y_te.an_toan_thuc_pham": (
        ("Quán ăn", "Bếp ăn tập thể", "Cơ sở sản xuất thực phẩm", "Hàng thịt", "Cửa hàng tạp hóa",
         "Bếp ăn trường học"),
        ("mất vệ sinh an toàn thực phẩm", "bán thực phẩm hết hạn", "gây ngộ độc",
         "dùng hàng không rõ nguồn gốc", "không kiểm dịch", "dùng chất cấm"),
    ),
    "y_te.dich_benh": (
        ("Dịch sốt xuất huyết", "Muỗi", "Bệnh tay chân miệng", "Dịch bệnh", "Bọ gậy, lăng quăng",
         "Dịch tả lợn"),
        ("bùng phát trong khu dân cư", "xuất hiện nhiều, cần phun thuốc", "lây lan nhanh",
         "có nhiều ca mắc", "cần khử khuẩn", "đã có người nhập viện"),
    ),
    "y_te.kham_chua_benh": (
        ("Bệnh viện", "Trạm y tế", "Phòng khám", "Nhân viên y tế", "Bác sĩ"),
        ("thờ ơ với bệnh nhân", "bắt chờ khám quá lâu", "thiếu thuốc bảo hiểm",
         "không có giấy phép", "khám chữa bệnh cẩu thả",
         "gây khó khăn cho người có thẻ bảo hiểm y tế"),
    ),
    "giao_duc.truong_lop": (
        ("Phòng học", "Trường học", "Nhà vệ sinh trường", "Lớp học", "Điểm trường", "Sân trường"),
        ("bị dột, xuống cấp", "thiếu bàn ghế", "mất an toàn cho học sinh", "không có nước sạch",
         "thiếu phòng học", "bị hư hỏng nặng"),
    ),
    "giao_duc.thu_phi": (
        ("Nhà trường", "Giáo viên", "Ban phụ huynh", "Trường tiểu học", "Trường mầm non"),
        ("lạm thu đầu năm", "thu nhiều khoản ngoài quy định", "ép học sinh học thêm",
         "bắt mua sách, đồng phục", "thu quỹ không minh bạch"),
    ),
    "dich_vu_cong.ho_so": (
        ("Hồ sơ", "Thủ tục hành chính", "Hồ sơ khai sinh", "Hồ sơ đăng ký kinh doanh",
         "Giấy xác nhận cư trú"),
        ("bị trễ hẹn", "quá hạn chưa trả kết quả", "rườm rà, nhiều giấy tờ",
         "phải bổ sung nhiều lần", "giải quyết chậm"),
    ),
    "dich_vu_cong.thai_do": (
        ("Cán bộ", "Công chức", "Cán bộ tiếp dân", "Nhân viên bộ phận một cửa", "Cán bộ xã"),
        ("có thái độ hách dịch", "gây nhũng nhiễu", "đi muộn về sớm", "quát mắng người dân",
         "đòi tiền bồi dưỡng", "không tiếp dân"),
    ),
    "dich_vu_cong.truc_tuyen": (
        ("Cổng dịch vụ công", "Dịch vụ công trực tuyến", "Ứng dụng VNeID", "Trang một cửa điện tử",
         "Thanh toán trực tuyến"),
        ("bị lỗi", "không đăng nhập được", "treo liên tục", "không nộp được hồ sơ",
         "trừ tiền mà không ghi nhận"),
    ),
    "khac": (
        ("Kiến nghị", "Đề xuất", "Mong muốn", "Ý kiến:"),
        ("xây thêm sân chơi cho trẻ em", "xây nhà văn hóa thôn", "hỗ trợ hộ nghèo sửa nhà",
         "tăng cường sóng điện thoại, internet", "có thêm chế độ cho người có công",
         "tổ chức lễ hội văn hóa của đồng bào Tày, Nùng", "giữ giá cả hàng hóa ổn định"),
    ),
}
# fmt: on
WHERE = ("ở {noi}", "trên {duong}", "tại {xa}", "gần {noi}", "{ngay} nay", "")

# A second topic mentioned in passing, by top-level field: (training, held-out). The report
# keeps the label of its main topic, as an operator would file it.
ASIDES: dict[str, tuple[str, str]] = {
    "giao_thong": ("mặt đường gần đó cũng nhiều ổ gà", "đoạn đó còn hay tắc đường"),
    "dien_chieu_sang": ("đèn đường khu đó cũng tắt", "tối đến lại mất điện"),
    "cap_thoat_nuoc": ("cống gần đó cũng tắc", "mưa xuống là ngập"),
    "moi_truong": ("rác thải vứt bừa bãi xung quanh", "lại còn bốc mùi hôi"),
    "trat_tu_do_thi": ("vỉa hè thì bị lấn chiếm hết", "hàng rong bày kín lối đi"),
    "an_ninh_trat_tu": ("đêm đến thanh niên tụ tập ồn ào", "dạo này hay mất trộm"),
    "xay_dung": ("bên cạnh có nhà đang xây không che chắn", "vật liệu xây dựng đổ ngổn ngang"),
}


@dataclass(frozen=True)
class Split:
    """Everything that differs between the training and the held-out set."""

    held_out: bool  # picks the held-out phrases and asides, and no composed sentences
    frames: tuple[str, ...]
    streets: tuple[str, ...]
    landmarks: tuple[str, ...]
    communes: tuple[str, ...]
    per_category: int
    no_accents: float  # share of reports typed without diacritics


# fmt: off
TRAIN = Split(
    held_out=False,
    frames=(
        "{core}.",
        "{core}, đề nghị cơ quan chức năng xử lý.",
        "Kính gửi UBND {xa}: {core}. Mong được giải quyết sớm.",
        "{core}. Người dân rất bức xúc.",
        "Phản ánh: {core}",
        "{core}!!! Đã báo nhiều lần mà chưa thấy ai xử lý",
        "{core}",
        "Chào chính quyền, {core_lower}. Xin cảm ơn!",
        "Gia đình tôi sống ở {xa}, {core_lower}, mong lãnh đạo quan tâm giải quyết.",
        "{core}, tình trạng kéo dài nhiều ngày, các cấp cần vào cuộc.",
    ),
    streets=("Bà Triệu", "Trần Đăng Ninh", "Lê Lợi", "Hùng Vương", "Bắc Sơn", "Ngô Quyền",
             "Lý Thái Tổ", "Trần Hưng Đạo", "Hoàng Văn Thụ", "Lê Đại Hành", "Minh Khai",
             "Phai Vệ"),
    landmarks=("chợ Đông Kinh", "chợ Giếng Vuông", "hồ Phai Loạn", "ga Đồng Đăng",
               "cửa khẩu Hữu Nghị", "chùa Tam Thanh", "bến xe phía Bắc", "công viên Chi Lăng",
               "cầu Kỳ Cùng", "chợ Na Sầm"),
    communes=("phường Đông Kinh", "phường Tam Thanh", "xã Đồng Đăng", "xã Cao Lộc",
              "xã Hữu Lũng", "xã Bình Gia", "xã Tràng Định", "xã Đình Lập", "xã Văn Quan",
              "xã Na Dương"),
    per_category=TRAIN_PER_CATEGORY,
    no_accents=0.2,
)

HELD_OUT = Split(
    held_out=True,
    frames=(
        "Xin chào, tôi là người dân ở {xa}. {core}. Cảm ơn.",
        "{core}. Rất mong các cấp chính quyền quan tâm.",
        "Khẩn: {core}",
        "Tôi xin phản ánh {core_lower}.",
        "{core}. Tình trạng này kéo dài lâu rồi.",
    ),
    streets=("Nguyễn Du", "Đinh Tiên Hoàng", "Tô Thị", "Chu Văn An", "Lương Văn Tri",
             "Quang Trung", "Trần Phú", "Ngô Gia Tự", "Văn Vỉ"),
    landmarks=("chợ Kỳ Lừa", "thành nhà Mạc", "cửa khẩu Tân Thanh", "Quảng trường 17/10",
               "khu đô thị Phú Lộc", "chợ Đồng Đăng", "ngã tư Hoàng Đồng", "bờ sông Kỳ Cùng"),
    communes=("phường Kỳ Lừa", "phường Lương Văn Tri", "xã Lộc Bình", "xã Chi Lăng",
              "xã Bắc Sơn", "xã Thất Khê", "xã Mẫu Sơn", "xã Na Sầm", "xã Văn Lãng"),
    per_category=HELD_OUT_PER_CATEGORY,
    no_accents=0.25,
)
# fmt: on

DURATIONS = ("3 hôm", "mấy hôm", "cả tuần", "hơn 1 tháng", "2 ngày", "5 ngày nay", "nửa tháng")
SHORTHAND = {
    "không": ("ko", "k", "hok"),
    "được": ("dc", "đc"),
    "người": ("ng",),
    "gì": ("j",),
    "với": ("vs",),
    "rồi": ("r",),
    "quá": ("qá", "wa"),
}


def unaccent(text: str) -> str:
    """The text as typed on a keyboard without Vietnamese input: ``Đèn hỏng`` → ``Den hong``."""
    text = text.replace("đ", "d").replace("Đ", "D")
    marks = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in marks if not unicodedata.combining(c)))


def generate(split: Split, rng: random.Random) -> list[tuple[str, str]]:
    """``(category, text)`` pairs: ``per_category`` reports for every leaf of PHRASES."""
    index = int(split.held_out)
    reports = []
    for category, phrases in PHRASES.items():
        for _ in range(split.per_category):
            reports.append((category, _report(category, phrases[index], split, index, rng)))
    return reports


def _report(
    category: str, phrases: tuple[str, ...], split: Split, index: int, rng: random.Random
) -> str:
    slots = {
        "duong": f"{rng.choice(('đường', 'phố', 'đường'))} {rng.choice(split.streets)}",
        "noi": rng.choice(split.landmarks),
        "xa": rng.choice(split.communes),
        "so": str(rng.randint(1, 199)),
        "ngay": rng.choice(DURATIONS),
    }
    if index == 0 and rng.random() < 0.5:  # training only: a composed sentence
        subjects, problems = TERMS[category]
        where = rng.choice(WHERE)
        core = f"{rng.choice(subjects)} {rng.choice(problems)} {where}".strip()
        core = core.format(**slots)
    else:
        core = rng.choice(phrases).format(**slots)
    if rng.random() < 0.15:  # a second topic in passing
        field = rng.choice([f for f in ASIDES if f != category.partition(".")[0]])
        core = f"{core}, {rng.choice(('ngoài ra', 'thêm nữa', 'chưa kể'))} {ASIDES[field][index]}"
    text = rng.choice(split.frames).format(core=core, core_lower=_lower_first(core), **slots)
    if rng.random() < 0.2:
        text = _shorthand(text, rng)
    if rng.random() < 0.2:
        text = _typo(text, rng)
    if rng.random() < split.no_accents:
        text = unaccent(text)
        if rng.random() < 0.5:
            text = text.lower()
    elif rng.random() < 0.04:
        text = text.upper()
    return text


def _lower_first(text: str) -> str:
    # Acronyms (UBND, VNeID) keep their case.
    first = text.split(" ", 1)[0]
    return text if first[1:2].isupper() else text[:1].lower() + text[1:]


def _shorthand(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    return " ".join(
        rng.choice(SHORTHAND[w.lower()]) if w.lower() in SHORTHAND else w for w in words
    )


def _typo(text: str, rng: random.Random) -> str:
    # One slip of the finger in a word of three letters or more: swapped, dropped or
    # doubled letter.
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 3 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w, j = words[i], rng.randrange(len(words[i]) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == 1:
        words[i] = w[:j] + w[j + 1 :]
    else:
        words[i] = w[: j + 1] + w[j] + w[j + 1 :]
    return " ".join(words)


HEADER = """\
# INVENTED DEMO EXAMPLES — not real citizen reports (phản ánh giả lập cho bản demo).
#
# Generated by `python -m iocvn.feedback.demo_text` from phrase templates, Lạng Sơn place
# names and seeded random variations (no accents, chat shorthand, typos, a second topic
# mentioned in passing). Do not edit by hand: change the generator and rerun it.
#
# train:    {train} reports, {per_train} per category, for training the category suggestion.
# held_out: {held} reports, {per_held} per category, written from other phrases, openings,
#           streets, landmarks and communes than the training set, so that its accuracy
#           measures wordings the model never saw.
"""


def render() -> str:
    """The whole demo file, identical on every run."""
    rng = random.Random(SEED)
    train, held_out = generate(TRAIN, rng), generate(HELD_OUT, rng)
    lines = [
        HEADER.format(
            train=len(train),
            per_train=TRAIN.per_category,
            held=len(held_out),
            per_held=HELD_OUT.per_category,
        )
    ]
    for name, reports in (("train", train), ("held_out", held_out)):
        lines.append(f"{name}:")
        lines += [
            f"  - {{category: {category}, text: {json.dumps(text, ensure_ascii=False)}}}"
            for category, text in reports
        ]
    return "\n".join(lines) + "\n"


def load(path: Path = OUTPUT) -> dict[str, list[tuple[str, str]]]:
    """The demo file's sets (``train``, ``held_out``) as ``(category, text)`` pairs."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 (safe loader)
    return {name: [(r["category"], r["text"]) for r in rows] for name, rows in data.items()}


def main() -> None:
    """Rewrite the demo file (``--check``: exit 1 if it differs from what would be written)."""
    content = render()
    if "--check" in sys.argv[1:]:
        sys.exit(0 if OUTPUT.read_text(encoding="utf-8") == content else 1)
    OUTPUT.write_text(content, encoding="utf-8")


if __name__ == "__main__":
    main()
